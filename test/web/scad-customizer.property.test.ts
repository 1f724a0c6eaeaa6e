import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { DEFAULT_GROUP, MAX_SCAD_PARAMETERS, MAX_SCAD_SOURCE, parseLiteral, parseScadParameters, ScadSourceTooLargeError, scadLiteral } from '../../src/api/scad-customizer.js'
import { checkScadParameter } from '../../src/executors/scad-params.js'
import { packageRoot } from '../../src/paths.js'

const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/)
const decimal = fc.integer({ min: -100000, max: 100000 }).map(n => n / 100)
const text = fc.stringMatching(/^[A-Za-z0-9 ._-]{0,20}$/)

/** A parameter as a design writes it, and what the Customizer must make of it. */
const parameter = fc.oneof(
  fc.record({ name, value: decimal, min: fc.integer({ min: -50, max: 0 }), step: fc.constantFrom(0.1, 0.5, 1, 5), span: fc.integer({ min: 1, max: 500 }) })
    .map(p => ({ line: `${p.name} = ${p.value}; // [${p.min}:${p.step}:${p.min + p.span}]`, want: { name: p.name, widget: 'slider', type: 'number', min: p.min, step: p.step, max: p.min + p.span, initial: String(p.value) } })),
  fc.record({ name, value: fc.boolean() })
    .map(p => ({ line: `${p.name} = ${String(p.value)};`, want: { name: p.name, widget: 'checkbox', type: 'boolean', initial: String(p.value) } })),
  fc.record({ name, value: text, longest: fc.integer({ min: 1, max: 99 }) })
    .map(p => ({ line: `${p.name} = "${p.value}"; // ${p.longest}`, want: { name: p.name, widget: 'text', type: 'string', maxLength: p.longest, initial: `"${p.value}"` } })),
  fc.record({ name, choices: fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: 2, maxLength: 6 }) })
    .map(p => ({ line: `${p.name} = ${p.choices[0]}; // [${p.choices.join(', ')}]`, want: { name: p.name, widget: 'dropdown', type: 'number', options: p.choices.map(c => ({ value: c, label: String(c) })), initial: String(p.choices[0]) } })),
  fc.record({ name, labels: fc.uniqueArray(fc.stringMatching(/^[A-Z][a-z]{0,8}$/), { minLength: 2, maxLength: 5 }) })
    .map(p => ({ line: `${p.name} = "${p.labels[0].toLowerCase()}"; // [${p.labels.map(l => `${l.toLowerCase()}:${l}`).join(', ')}]`, want: { name: p.name, widget: 'dropdown', type: 'string', options: p.labels.map(l => ({ value: l.toLowerCase(), label: l })), initial: `"${p.labels[0].toLowerCase()}"` } }))
)

const design = fc.record({
  groups: fc.array(fc.record({ title: fc.stringMatching(/^[A-Z][a-z ]{0,12}[a-z]$/), parameters: fc.array(parameter, { maxLength: 6 }) }), { maxLength: 4 }),
  hidden: fc.array(parameter, { maxLength: 3 })
})

test('a design\'s parameters come back with the group, widget, bounds and value it wrote', () => {
  fc.assert(fc.property(design, ({ groups, hidden }) => {
    const lines: string[] = []
    const want: Array<Record<string, unknown>> = []
    for (const group of groups) {
      lines.push(`/* [${group.title}] */`)
      for (const p of group.parameters) {
        lines.push(`// about ${p.want.name}`, p.line)
        const earlier = want.findIndex(w => w.name === p.want.name)
        const entry = { ...p.want, group: group.title, description: `about ${p.want.name}` }
        if (earlier >= 0) want[earlier] = entry
        else want.push(entry)
      }
    }
    lines.push('/* [Hidden] */', ...hidden.map(p => p.line), 'module part() { cube(1); }', 'after_module = 3;')
    const hiddenOnly = new Set(hidden.map(p => p.want.name).filter(n => !want.some(w => w.name === n)))
    const got = parseScadParameters(lines.join('\n'))
    assert.deepEqual(got.map(p => p.name), want.map(w => w.name))
    got.forEach((p, i) => { assert.deepEqual(p, want[i]) })
    assert.ok(got.every(p => !hiddenOnly.has(p.name) && p.name !== 'after_module'))
  }), { numRuns: 300 })
})

test('any text parses without throwing, into at most the limit of parameters, each with a literal value (a number, boolean or vector one -D accepts)', () => {
  const source = fc.array(fc.oneof(fc.string({ maxLength: 60 }), parameter.map(p => p.line), fc.constantFrom('/* [G] */', '/*', '*/', '// [1:2:3]', 'x = [1, 2, 3];', '$fn = 32;', 'y = a + 1;')), { maxLength: 40 }).map(lines => lines.join('\n'))
  fc.assert(fc.property(source, (text) => {
    const got = parseScadParameters(text)
    assert.ok(got.length <= MAX_SCAD_PARAMETERS)
    for (const p of got) {
      assert.notEqual(parseLiteral(p.initial), undefined, p.initial)
      if (p.type !== 'string') assert.doesNotThrow(() => { checkScadParameter(p.name, p.initial) }, `${p.name}=${p.initial}`)
    }
  }), { numRuns: 500 })
})

test('a form value becomes a -D literal the scad stage accepts, or refuses only as a path outside the job', () => {
  fc.assert(fc.property(name, fc.oneof(
    text.map(v => ({ type: 'string' as const, value: v })),
    fc.boolean().map(v => ({ type: 'boolean' as const, value: v })),
    decimal.map(v => ({ type: 'number' as const, value: String(v) }))
  ), (n, { type, value }) => {
    const literal = scadLiteral({ type }, value)
    try {
      checkScadParameter(n, literal)
    } catch (err: any) {
      // A string such as ".." or "/etc/passwd" names a file outside the job: refused whichever door it came through.
      assert.ok(type === 'string' && /path outside the job's folder/.test(err.message), `${n}=${literal}: ${String(err.message)}`)
      return
    }
    assert.equal(String(parseLiteral(literal)), String(value))
  }), { numRuns: 300 })
})

test('a design longer than the limit is refused by name, not parsed', () => {
  assert.throws(() => parseScadParameters('x = 1;\n'.repeat(MAX_SCAD_SOURCE / 7 + 1)), ScadSourceTooLargeError)
})

test('examples/bracket.scad: six parameters with their descriptions; $fn and the modules are left out', async () => {
  const got = parseScadParameters(await readFile(join(packageRoot(), 'examples', 'bracket.scad'), 'utf8'))
  assert.deepEqual(got.map(p => [p.name, p.widget, p.initial, p.group]), [
    ['width', 'spinbox', '16', DEFAULT_GROUP], ['depth', 'spinbox', '16', DEFAULT_GROUP], ['height', 'spinbox', '16', DEFAULT_GROUP],
    ['thickness', 'spinbox', '2.4', DEFAULT_GROUP], ['hole_d', 'spinbox', '3.5', DEFAULT_GROUP], ['gusset', 'checkbox', 'true', DEFAULT_GROUP]
  ])
  // The trailing note, not the file's header on the line above the first parameter.
  assert.equal(got[0].description, 'along the wall, mm')
  assert.equal(got[1].description, 'how far the shelf plate sticks out, mm')
})
