import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { checkDesignReads } from '../../src/executors/scad-scan.js'

const JOB_FILES = ['part.scad', 'lib.scad', 'logo.dxf', 'height.dat']

const refused = (source: string): void => {
  assert.throws(() => checkDesignReads(source, JOB_FILES), { name: 'UnsafeDesignError' }, source)
}

test('a design reading only its own job files passes', () => {
  const design = [
    'include <lib.scad>', 'use <./lib.scad>', 'import("logo.dxf");', 'surface(file = "height.dat", center = true);',
    'import(file="logo.dxf", convexity = 3);', 'linear_extrude(2) import("logo.dxf", layer = "top");',
    '// include </etc/passwd> is only a comment', '/* import("/etc/shadow") */ cube(1);', 's = "http://example.org"; echo(s);',
    'if (file_size == 2) cube(2);'
  ].join('\n')
  checkDesignReads(design, JOB_FILES)
})

test('reads outside the job directory are refused with the path named', () => {
  assert.throws(() => checkDesignReads('include </etc/passwd>\ncube(1);', JOB_FILES), /design reads \/etc\/passwd, outside its job directory/)
  assert.throws(() => checkDesignReads('x = import("/etc/passwd");', JOB_FILES), /design reads \/etc\/passwd, outside its job directory/)
  for (const source of [
    'use <../secret.scad>', 'include <lib/../../etc/passwd>', 'include <C:\\Windows\\win.ini>', 'include <~/.ssh/id_rsa>',
    'surface("/dev/zero");', 'surface(file = "../x.dat");', 'import(file = "/etc/passwd");', 'include <MCAD/gears.scad>',
    'import("other.stl");', 'import("\\x2fetc\\x2fpasswd");', 'f = "/etc/passwd"; import(f);', 'import(str("/etc", "/passwd"));',
    'import(file = f);', 'import(convexity = 2, f);', 'm = import; m("/etc/passwd");', 'import /* hidden */ ("/etc/passwd");',
    's = "//"; import("/etc/passwd");', 'dxf_linear_extrude(file = "/etc/passwd");', 'rotate_extrude(file = "/etc/passwd");',
    'import(("/etc/passwd"));', 'import();', 'dxf_dim(file="../a.dxf", name="w");',
    'linear_extrude("/etc/passwd");', 'rotate_extrude("/etc/passwd");', 'linear_extrude( "../x.dxf", height = 2);',
    'rotate_extrude("other.dxf");', 'linear_extrude(file = "/etc/passwd", height = 1);'
  ]) refused(source)
})

test('an extrude\'s first argument is checked when it is a string, and is a height or an angle otherwise', () => {
  checkDesignReads('linear_extrude(10) square(2); linear_extrude(h) square(2); rotate_extrude(360) square(1); linear_extrude("logo.dxf");', JOB_FILES)
  assert.throws(() => checkDesignReads('linear_extrude("/etc/passwd");', JOB_FILES), /design reads \/etc\/passwd, outside its job directory/)
})

test('the scan names the job files a design includes or uses, whatever their extension: OpenSCAD reads them as designs', () => {
  assert.deepEqual(checkDesignReads('include <lib.scad>\nuse <./height.dat>\nimport("logo.dxf");', JOB_FILES), ['lib.scad', 'height.dat'])
})

const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/)
const outsidePath = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 4 }).map(parts => '/' + parts.join('/')),
  fc.tuple(fc.array(segment, { maxLength: 2 }), fc.array(segment, { minLength: 1, maxLength: 3 }))
    .map(([before, after]) => [...before, '..', ...after].join('/')),
  fc.constantFrom('/etc/passwd', '../lib.scad', './../lib.scad', '..', '~/x', 'C:/x', '\\\\server\\share'),
  segment.filter(s => !JOB_FILES.includes(s.replace(/^(\.\/)+/, '')))
)
const space = fc.constantFrom('', ' ', '  ', '\n', '\t', ' \n ')
const comment = fc.constantFrom('', '// a comment\n', '/* block */', '/* "quoted" */')
const reader = fc.tuple(outsidePath, space, comment).map(([path, ws, c]) => [
  `include${ws}<${path}>`,
  `use${ws}<${path}>`,
  `import${ws}(${ws}"${path}"${ws});`,
  `surface(${ws}file${ws}=${ws}"${path}", center = true);`,
  `import(convexity = 3, file = "${path}");`,
  `${c}x = 1;${ws}import("${path}");`,
  `linear_extrude${ws}(${ws}"${path}"${ws}, height = 2);`,
  `rotate_extrude("${path}");`
])

test('property: no include/use/import/surface/extrude form lets a path outside the job through', () => {
  fc.assert(fc.property(reader, fc.nat(7), fc.constantFrom('', 'cube(1);\n', 's = "//";\n', '/* x */\n'), (forms, pick, prefix) => {
    refused(prefix + forms[pick])
  }), { numRuns: 3000 })
})

test('property: arbitrary text never makes the scanner throw anything but UnsafeDesignError', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), source => {
    try {
      checkDesignReads(source, JOB_FILES)
    } catch (err) {
      assert.equal((err as Error).name, 'UnsafeDesignError')
    }
  }), { numRuns: 2000 })
})
