import type { Command } from './command.js'

export interface Entry {
  name: string
  summary: string
  load: () => Promise<Command>
}

// Each command's module is loaded only when that command runs: a CLI call is a short-lived process, and
// `submit` should not pay for loading the printer or the demo.
export const COMMANDS: Entry[] = [
  { name: 'start', summary: 'run this machine\'s peer until SIGINT/SIGTERM (SIGHUP reloads the config)', load: async () => (await import('./start.js')).start },
  { name: 'status', summary: 'show the local node: name, peer id, addresses, capabilities, uptime, load', load: async () => (await import('./status.js')).status },
  { name: 'peers', summary: 'list every peer the local daemon knows: capabilities, printers, last seen, round-trip time', load: async () => (await import('./peers.js')).peers },
  { name: 'submit', summary: 'submit designs to the mesh: each file becomes a job that runs stage by stage on the peers that win them', load: async () => (await import('./submit.js')).submit },
  { name: 'jobs', summary: 'list this node\'s jobs (running, and those that ended in the last day)', load: async () => (await import('./jobs.js')).jobs },
  { name: 'job', summary: 'show one job: each stage with its peer, tool, command, times, bids and refusal reasons, inputs and outputs', load: async () => (await import('./jobs.js')).job },
  { name: 'verify', summary: 'find the signed record of a file (by its sha256) in the mesh and check every signature; exit 1 unless it verifies', load: async () => (await import('./verify.js')).verify },
  { name: 'logs', summary: 'print a job\'s history and its tools\' output', load: async () => (await import('./jobs.js')).logs },
  { name: 'get', summary: 'write the file a job made (its last stage that makes one, or stage N\'s) and say which, pulling it from the peer that holds it', load: async () => (await import('./jobs.js')).get },
  { name: 'cancel', summary: 'cancel a job: the peer running its stage stops the tool', load: async () => (await import('./jobs.js')).cancel },
  { name: 'library add', summary: 'add design files to the mesh\'s library (kept on `library.replicas` peers); the same content again is the same entry', load: async () => (await import('./library.js')).libraryAdd },
  { name: 'library ls', summary: 'list the library: by --tag, --author, --text WORDS', load: async () => (await import('./library.js')).libraryLs },
  { name: 'library show', summary: 'show one library entry: fields, versions, the peers keeping its files, its outputs', load: async () => (await import('./library.js')).libraryShow },
  { name: 'library get', summary: 'write an entry\'s design file (a version of it) to a file, fetched from a peer that keeps it', load: async () => (await import('./library.js')).libraryGet },
  { name: 'library tag', summary: 'tag an entry: +TAG adds, -TAG removes (edits made apart merge: both survive)', load: async () => (await import('./library.js')).libraryTag },
  { name: 'library rm', summary: 'remove an entry from the library on every peer', load: async () => (await import('./library.js')).libraryRm },
  { name: 'library process', summary: 'process a selection of the library as a batch (--tag, --author, --text), with progress; says what failed and why', load: async () => (await import('./library-process.js')).libraryProcess },
  { name: 'watch', summary: 'watch a folder: new and changed designs go into the library and are processed; unchanged content runs nothing', load: async () => (await import('./watch.js')).watchFolder },
  { name: 'printers', summary: 'list every printer in the mesh: peer, name, state, temperatures, material, current job and progress', load: async () => (await import('./printers.js')).printers },
  { name: 'queue', summary: 'list every print in the mesh waiting for a printer, in the order printers take them: job, file, material, priority, age, the printers that could take it and why the others cannot', load: async () => (await import('./queue.js')).queue },
  { name: 'queue move', summary: 'move a job\'s print to the --top (or --bottom) of the print queue', load: async () => (await import('./queue.js')).queueMove },
  { name: 'queue hold', summary: 'hold a job\'s print back: no printer takes it until released', load: async () => (await import('./queue.js')).queueHold(true) },
  { name: 'queue release', summary: 'release a held print: it takes its place in the queue again', load: async () => (await import('./queue.js')).queueHold(false) },
  { name: 'power', summary: 'show this node\'s power group: which printers heat up now and which wait for power, in turn', load: async () => (await import('./power.js')).power },
  { name: 'printer clear', summary: 'confirm the bed is empty: the printer takes prints again', load: async () => (await import('./printers.js')).printerAction('printer.clear') },
  { name: 'printer load', summary: 'say which filament is loaded (and --nozzle MM fitted): the printer advertises it at once', load: async () => (await import('./printers.js')).printerLoad },
  { name: 'printer pause', summary: 'stop feeding the printer (parks the head if the config says how)', load: async () => (await import('./printers.js')).printerAction('printer.pause') },
  { name: 'printer resume', summary: 'continue a paused print', load: async () => (await import('./printers.js')).printerAction('printer.resume') },
  { name: 'printer cancel', summary: 'stop the print, then heaters, fan and motors off', load: async () => (await import('./printers.js')).printerAction('printer.cancel') },
  { name: 'print resume', summary: 'continue an interrupted print from a line of its G-code (reheats first); run it on the printer\'s node', load: async () => (await import('./printers.js')).printResume },
  { name: 'print abandon', summary: 'give up an interrupted print: its job fails, and the part stays on the bed until "meshnode printer clear"', load: async () => (await import('./printers.js')).printAbandon },
  { name: 'virtual-printer', summary: 'serve a simulated Marlin printer on a PTY (made with socat) until interrupted', load: async () => (await import('./virtual-printer.js')).virtualPrinter },
  { name: 'invite', summary: 'print a code (and a QR code) that lets one more machine join this mesh, once, before it expires', load: async () => (await import('./invite.js')).invite },
  { name: 'join', summary: 'join a mesh with a code from "meshnode invite": writes the mesh\'s key into this machine\'s data dir', load: async () => (await import('./join.js')).join },
  { name: 'token create', summary: 'make a token for the HTTP API (scope read, submit or operator); printed once, only its hash is kept', load: async () => (await import('./token.js')).tokenCreate },
  { name: 'token list', summary: 'list the HTTP API\'s tokens: names, scopes, when made (never the tokens)', load: async () => (await import('./token.js')).tokenList },
  { name: 'token revoke', summary: 'revoke an HTTP API token: it stops working at once', load: async () => (await import('./token.js')).tokenRevoke },
  { name: 'keygen', summary: 'write a mesh key to a file, for peers started with --mesh-key FILE (invite and join do this for you)', load: async () => (await import('./keygen.js')).keygen },
  { name: 'admin keygen', summary: 'make an admin key (Ed25519) on this machine and print its public key, for the nodes\' trust.admin', load: async () => (await import('./admin.js')).adminKeygen },
  { name: 'admin config push', summary: 'sign a desired config (whole or partial) with the admin key and send it to nodes by name or tag; each applies it live or says which field it rejects', load: async () => (await import('./admin.js')).adminConfigPush },
  { name: 'admin service push', summary: 'sign a service definition with its files (sent as blobs) and push it to nodes by name or tag: they run it beside their own services', load: async () => (await import('./admin.js')).adminServicePush },
  { name: 'admin run', summary: 'run a command the nodes\' config declares by name (or drain, undrain, restart, printer-pause and the other printer commands) on nodes by name or tag, signed with the admin key; their output streams back', load: async () => (await import('./admin.js')).adminRun },
  { name: 'admin update', summary: 'roll a meshnode package (npm pack) out to nodes by name or tag, a few at a time: each installs it beside its version, restarts into it, and goes back when it does not come up healthy', load: async () => (await import('./admin-update.js')).adminUpdate },
  { name: 'admin status', summary: 'the fleet: per node its version, config revision applied or rejected, uptime, last heard, pending documents, update step', load: async () => (await import('./admin.js')).adminStatus },
  { name: 'admin log', summary: 'the local node\'s audit log: every admin document it accepted, applied, rejected or refused, and why', load: async () => (await import('./admin.js')).adminLog },
  { name: 'demo', summary: 'start a three-peer mesh on loopback and push a design through scad -> slice -> print', load: async () => (await import('./demo.js')).demo }
]
