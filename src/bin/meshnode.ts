#!/usr/bin/env node
import { Command } from 'commander'
import { cancelCommand, getCommand, jobCommand, jobsCommand, logsCommand } from '../cli/jobs.js'
import { demoCommand } from '../cli/demo.js'
import { keygenCommand } from '../cli/keygen.js'
import { peersCommand } from '../cli/peers.js'
import { printCommand, printerCommand, printersCommand } from '../cli/printers.js'
import { startCommand } from '../cli/start.js'
import { statusCommand } from '../cli/status.js'
import { submitCommand } from '../cli/submit.js'
import { virtualPrinterCommand } from '../cli/virtual-printer.js'

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
