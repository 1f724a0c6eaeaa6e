import assert from 'node:assert/strict'
import { constants } from 'node:os'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  ARCHITECTURES, networkFilter, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, type Architecture
} from '../../src/executors/seccomp-filter.js'

const { EACCES, EPERM } = constants.errno
const REFUSED_SOCKET = SECCOMP_RET_ERRNO | EACCES
const REFUSED_RING = SECCOMP_RET_ERRNO | EPERM
// A few numbers that must pass, per architecture: read, write, socketpair, connect, execve.
const ORDINARY: Record<string, number[]> = { x64: [0, 1, 53, 42, 59], arm64: [63, 64, 199, 203, 221] }

/**
 * Runs the filter's bytes as the kernel would on `struct seccomp_data` { nr, arch, ... }: only the three
 * instruction kinds the filter may use, each jump forward and inside the program, and it must end in a return.
 */
function verdict (bytes: Buffer, arch: number, nr: number): number {
  const data = Buffer.alloc(64)
  data.writeInt32LE(nr | 0, 0)
  data.writeUInt32LE(arch, 4)
  let accumulator = 0
  const count = bytes.length / 8
  for (let pc = 0; pc < count; pc++) {
    const code = bytes.readUInt16LE(pc * 8)
    const jt = bytes.readUInt8(pc * 8 + 2)
    const jf = bytes.readUInt8(pc * 8 + 3)
    const k = bytes.readUInt32LE(pc * 8 + 4)
    if (code === 0x20) accumulator = data.readUInt32LE(k)
    else if (code === 0x06) return k
    else if (code === 0x15 || code === 0x35) {
      const holds = code === 0x15 ? accumulator === k : accumulator >= k
      pc += holds ? jt : jf
      assert.ok(pc + 1 < count, `the jump at ${pc} leaves the program`)
    } else assert.fail(`instruction ${pc} has an unexpected code 0x${code.toString(16)}`)
  }
  return assert.fail('the program ran off its end without an answer')
}

for (const [name, arch] of Object.entries(ARCHITECTURES) as Array<[string, Architecture]>) {
  const bytes = networkFilter(name, 'LE')
  test(`${name}: the filter is whole sock_filter records, under the kernel's limit`, () => {
    assert.ok(bytes != null)
    assert.equal(bytes.length % 8, 0)
    assert.ok(bytes.length / 8 <= 4096)
  })

  test(`${name}: socket() is refused with EACCES and io_uring_setup() with EPERM`, () => {
    assert.ok(bytes != null)
    assert.equal(verdict(bytes, arch.audit, arch.socket), REFUSED_SOCKET)
    assert.equal(verdict(bytes, arch.audit, arch.ioUringSetup), REFUSED_RING)
  })

  test(`${name}: ordinary calls, socketpair() and connect() among them, pass`, () => {
    assert.ok(bytes != null)
    for (const nr of ORDINARY[name]) assert.equal(verdict(bytes, arch.audit, nr), SECCOMP_RET_ALLOW, `call ${nr}`)
  })

  test(`${name}: every call but the two refused passes; another architecture's calls kill the process`, () => {
    assert.ok(bytes != null)
    const native = fc.integer({ min: 0, max: (arch.foreignFrom ?? 0x80000000) - 1 }).filter(nr => nr !== arch.socket && nr !== arch.ioUringSetup)
    fc.assert(fc.property(native, nr => verdict(bytes, arch.audit, nr) === SECCOMP_RET_ALLOW))
    const otherArch = fc.integer({ min: 0, max: 0xFFFFFFFF }).filter(a => a !== arch.audit)
    fc.assert(fc.property(otherArch, fc.integer({ min: 0, max: 1000 }), (a, nr) => verdict(bytes, a, nr) === SECCOMP_RET_KILL_PROCESS))
  })
}

test('x64: a call with the x32 bit set (socket as x32 numbers it) kills the process', () => {
  const bytes = networkFilter('x64', 'LE')
  assert.ok(bytes != null)
  assert.equal(verdict(bytes, ARCHITECTURES.x64.audit, 0x40000000 + ARCHITECTURES.x64.socket), SECCOMP_RET_KILL_PROCESS)
})

test('no filter for an unknown architecture or a big-endian machine: the sandbox keeps its network namespace there', () => {
  assert.equal(networkFilter('ia32', 'LE'), undefined)
  assert.equal(networkFilter('riscv64', 'LE'), undefined)
  assert.equal(networkFilter('x64', 'BE'), undefined)
})
