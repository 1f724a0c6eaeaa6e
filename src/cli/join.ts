import { existsSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'

export const join: Command = {
  args: [{ name: '<code>', help: 'the code "meshnode invite" printed on a machine of the mesh' }],
  flags: [
    { spec: '--replace', help: 'swap this machine\'s own mesh key (made at its first start) for the invited mesh\'s' },
    DATA_DIR_FLAG
  ],
  epilog: 'Then start this machine\'s peer: npx meshnode start',
  run: async ([code], flags: { replace?: boolean, dataDir?: string }) => {
    const { decodeInviteCode } = await import('../net/invite-code.js')
    const { redeemInvite } = await import('../net/invite-client.js')
    const { checkMeshKey, installMeshKey, MESH_KEY_FILE } = await import('../net/mesh-key.js')
    const invited = decodeInviteCode(code)
    const dataDir = dataDirOf(flags)
    const file = joinPath(dataDir, MESH_KEY_FILE)
    // Before the code is spent: a code used up on a machine that then keeps its old key is a code wasted.
    if (existsSync(file) && flags.replace !== true) {
      throw new Error(`this machine has a mesh key already (${file}, made at its first start or by an earlier join): add --replace to leave that mesh for the invited one`)
    }
    const welcome = await redeemInvite(invited)
    await installMeshKey(file, checkMeshKey(welcome.meshKey, 'what the inviting peer sent'))
    process.stdout.write(`joined the mesh: its key is in ${file} (mode 0600)\n`)
    process.stdout.write(existsSync(joinPath(dataDir, 'control.sock'))
      ? 'a meshnode runs on this data dir: stop it and run "npx meshnode start" again to use the key\n'
      : 'now start this machine\'s peer: npx meshnode start\n')
    const lan = welcome.peers.filter(p => !p.startsWith('/ip4/127.'))
    if (lan.length > 0) process.stdout.write(`it finds the others over mDNS; where multicast is blocked, add --peer ${lan[0]}\n`)
  }
}
