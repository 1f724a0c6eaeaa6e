import { Command } from 'commander'
import { cancelCommand, getCommand, jobCommand, jobsCommand, logsCommand } from './jobs.js'
import { demoCommand } from './demo.js'
import { keygenCommand } from './keygen.js'
import { peersCommand } from './peers.js'
import { printCommand, printerCommand, printersCommand } from './printers.js'
import { startCommand } from './start.js'
import { statusCommand } from './status.js'
import { submitCommand } from './submit.js'
import { virtualPrinterCommand } from './virtual-printer.js'

const program = new Command('meshnode')
  .description('a peer-to-peer compute mesh for open hardware: render, slice and print across a workshop\'s machines')
  .version('0.1.0')
  .addCommand(startCommand())
  .addCommand(statusCommand())
  .addCommand(peersCommand())
  .addCommand(submitCommand())
  .addCommand(jobsCommand())
  .addCommand(jobCommand())
  .addCommand(logsCommand())
  .addCommand(getCommand())
  .addCommand(cancelCommand())
  .addCommand(printersCommand())
  .addCommand(printerCommand())
  .addCommand(printCommand())
  .addCommand(virtualPrinterCommand())
  .addCommand(keygenCommand())
  .addCommand(demoCommand())

await program.parseAsync(process.argv)
