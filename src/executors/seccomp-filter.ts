import { constants, endianness } from 'node:os'

/**
 * The seccomp filter that takes the network from a sandboxed tool, as the classic-BPF program bwrap's
 * `--seccomp FD` reads (an array of `struct sock_filter`, 8 bytes each, in the machine's byte order).
 *
 * It stands in for a network namespace per run, which cost a run 0.5 to 4.5 ms (BENCHMARKS.md, "The
 * sandbox"), where the filter costs nothing measurable. Every way to the network starts with a socket of the
 * tool's own (it inherits none: only its pipes): `socket(2)` fails with EACCES for every family. AF_UNIX
 * too: a socket in the abstract namespace is not a file, so the sandbox's file view does not hide the host's
 * (X11's, D-Bus's), and only a network namespace or refusing the socket keeps a tool from them.
 * `socketpair(2)` stays: it only links a tool's own processes. io_uring can make sockets as well
 * (IORING_OP_SOCKET), so `io_uring_setup(2)` fails with EPERM, as it does where the kernel has it turned off.
 * A system call made with another architecture's numbers (i386's `int 0x80`, x32) kills the process: the
 * numbers checked here would mean something else.
 */

/** One architecture's constants: `AUDIT_ARCH_*` from <linux/audit.h>, numbers from its <asm/unistd.h>. */
export interface Architecture {
  audit: number
  socket: number
  ioUringSetup: number
  /** Numbers at or above this are another ABI's on the same audit arch (x86_64's x32 bit). */
  foreignFrom?: number
}

export const ARCHITECTURES: Record<string, Architecture> = {
  x64: { audit: 0xC000003E, socket: 41, ioUringSetup: 425, foreignFrom: 0x40000000 },
  arm64: { audit: 0xC00000B7, socket: 198, ioUringSetup: 425 }
}

// <linux/bpf_common.h>: the three instruction kinds the filter uses.
const LOAD_WORD_ABSOLUTE = 0x00 | 0x00 | 0x20 // BPF_LD | BPF_W | BPF_ABS
const JUMP_IF_EQUAL = 0x05 | 0x10 | 0x00 // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST = 0x05 | 0x30 | 0x00 // BPF_JMP | BPF_JGE | BPF_K
const RETURN = 0x06 // BPF_RET | BPF_K

// <linux/seccomp.h>: what the filter answers, and where `struct seccomp_data` keeps what it looks at.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000
export const SECCOMP_RET_ERRNO = 0x00050000
export const SECCOMP_RET_ALLOW = 0x7FFF0000
const SYSCALL_NUMBER_OFFSET = 0
const ARCH_OFFSET = 4

const INSTRUCTION_BYTES = 8

interface Instruction {
  code: number
  /** Instructions skipped when a jump's test holds, and when it does not. */
  jt: number
  jf: number
  k: number
}

/**
 * The filter for this machine's architecture, or undefined where it has none (another architecture, a
 * big-endian machine): there the sandbox keeps its network namespace.
 */
export function networkFilter (arch: string = process.arch, byteOrder: string = endianness()): Buffer | undefined {
  const known = ARCHITECTURES[arch]
  if (known == null || byteOrder !== 'LE') return undefined
  return encode(networkProgram(known))
}

/** The program as instructions; a jump counts the instructions it skips. */
function networkProgram (arch: Architecture): Instruction[] {
  const { EACCES, EPERM } = constants.errno
  // The tests come first, then the four answers: allow (where a call that passes every test falls through
  // to), refuse the socket, refuse the ring, kill.
  const tests = arch.foreignFrom == null ? 5 : 6
  const refuseSocket = tests + 1
  const refuseRing = tests + 2
  const kill = tests + 3
  const program: Instruction[] = []
  const to = (target: number): number => target - program.length - 1
  program.push(load(ARCH_OFFSET))
  program.push(jumpIfEqual(arch.audit, 0, to(kill)))
  program.push(load(SYSCALL_NUMBER_OFFSET))
  if (arch.foreignFrom != null) program.push(jumpIfAtLeast(arch.foreignFrom, to(kill), 0))
  program.push(jumpIfEqual(arch.socket, to(refuseSocket), 0))
  program.push(jumpIfEqual(arch.ioUringSetup, to(refuseRing), 0))
  return [...program, ...[SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EACCES, SECCOMP_RET_ERRNO | EPERM, SECCOMP_RET_KILL_PROCESS].map(answer)]
}

/** `struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }`, little-endian. */
function encode (program: Instruction[]): Buffer {
  const bytes = Buffer.alloc(program.length * INSTRUCTION_BYTES)
  program.forEach(({ code, jt, jf, k }, i) => {
    const at = i * INSTRUCTION_BYTES
    bytes.writeUInt16LE(code, at)
    bytes.writeUInt8(jt, at + 2)
    bytes.writeUInt8(jf, at + 3)
    bytes.writeUInt32LE(k >>> 0, at + 4)
  })
  return bytes
}

function answer (k: number): Instruction {
  return { code: RETURN, jt: 0, jf: 0, k }
}

function load (offset: number): Instruction {
  return { code: LOAD_WORD_ABSOLUTE, jt: 0, jf: 0, k: offset }
}

function jumpIfEqual (k: number, jt: number, jf: number): Instruction {
  return { code: JUMP_IF_EQUAL, jt, jf, k }
}

function jumpIfAtLeast (k: number, jt: number, jf: number): Instruction {
  return { code: JUMP_IF_AT_LEAST, jt, jf, k }
}
