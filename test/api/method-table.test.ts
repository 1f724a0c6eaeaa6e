import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { MethodTable } from '../../src/api/method-table.js'
import type { Caller } from '../../src/api/caller.js'
import type { Access, MethodSpec } from '../../src/api/method.js'

const ACCESS: Access[] = ['read', 'submit', 'operator', 'owner']
const SPECS: MethodSpec[] = [
  ...ACCESS.map(access => ({ name: `needs-${access}`, summary: access, access, params: Type.Object({}, { additionalProperties: false }), result: Type.Null() })),
  { name: 'cancel', summary: 'cancel', access: 'submit', ownJob: true, params: Type.Object({ id: Type.String() }, { additionalProperties: false }), result: Type.Null() },
  { name: 'typed', summary: 'typed', access: 'read', params: Type.Object({ n: Type.Integer(), o: Type.Optional(Type.Object({ p: Type.String() }, { additionalProperties: false })) }, { additionalProperties: false }), result: Type.Null() }
]

function table (): MethodTable {
  const methods = new MethodTable(SPECS, async id => id === 'j-alice' ? 'alice' : undefined)
  for (const spec of SPECS) methods.register(spec.name, async () => 'ran')
  return methods
}

const call = async (methods: MethodTable, name: string, caller: Caller, params: unknown = {}): Promise<string> =>
  methods.call(name, params, { caller, emit: () => {}, signal: new AbortController().signal }).then(() => 'ran', (err: Error) => err.name)

test('one check for every caller: each scope reaches its methods and those below, the owner everything', async () => {
  const methods = table()
  const token = (scope: 'read' | 'submit' | 'operator'): Caller => ({ kind: 'token', name: 't', scope })
  const expected: Record<string, string[]> = {
    read: ['ran', 'ForbiddenError', 'ForbiddenError', 'ForbiddenError'],
    submit: ['ran', 'ran', 'ForbiddenError', 'ForbiddenError'],
    operator: ['ran', 'ran', 'ran', 'ForbiddenError']
  }
  for (const [scope, answers] of Object.entries(expected)) {
    assert.deepEqual(await Promise.all(ACCESS.map(async a => call(methods, `needs-${a}`, token(scope as 'read')))), answers, scope)
  }
  assert.deepEqual(await Promise.all(ACCESS.map(async a => call(methods, `needs-${a}`, { kind: 'owner' }))), ['ran', 'ran', 'ran', 'ran'])
  assert.deepEqual(await Promise.all(ACCESS.map(async a => call(methods, `needs-${a}`, { kind: 'loopback' }))), ['ran', 'ran', 'ran', 'ForbiddenError'])
})

test('a submit token acts only on its own jobs; an operator on any', async () => {
  const methods = table()
  assert.equal(await call(methods, 'cancel', { kind: 'token', name: 'alice', scope: 'submit' }, { id: 'j-alice' }), 'ran')
  assert.equal(await call(methods, 'cancel', { kind: 'token', name: 'bob', scope: 'submit' }, { id: 'j-alice' }), 'ForbiddenError')
  assert.equal(await call(methods, 'cancel', { kind: 'token', name: 'alice', scope: 'submit' }, { id: 'j-owner' }), 'ForbiddenError')
  assert.equal(await call(methods, 'cancel', { kind: 'token', name: 'desk', scope: 'operator' }, { id: 'j-alice' }), 'ran')
})

test('params are checked against the schema before anything runs, and the error names the field', async () => {
  const methods = table()
  const owner: Caller = { kind: 'owner' }
  const fieldOf = async (params: unknown): Promise<string | undefined> =>
    methods.call('typed', params, { caller: owner, emit: () => {}, signal: new AbortController().signal }).then(() => undefined, (err: any) => `${String(err.name)}:${String(err.field)}`)
  assert.equal(await fieldOf({ n: 1 }), undefined)
  assert.equal(await fieldOf({}), 'BadRequestError:n')
  assert.equal(await fieldOf({ n: 'one' }), 'BadRequestError:n')
  assert.equal(await fieldOf({ n: 1, extra: true }), 'BadRequestError:extra')
  assert.equal(await fieldOf({ n: 1, o: { p: 2 } }), 'BadRequestError:o.p')
  assert.equal(await fieldOf({ n: 1, o: { q: 'x' } }), 'BadRequestError:o.q')
  assert.equal(await call(methods, 'no-such-method', owner), 'UnknownMethodError')
  assert.throws(() => { methods.register('unlisted', async () => null) }, { name: 'UnknownMethodError' })
})
