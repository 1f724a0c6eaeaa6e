import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StageLines, stageProgress } from '../../src/cli/stage-progress.js'
import type { JobRecord, StageRecord } from '../../src/jobs/job.js'

function job (id: string, stages: Array<Partial<StageRecord>>): JobRecord {
  return {
    id,
    stages: stages.map((s, index) => ({ index, kind: 'scad', state: 'pending', attempt: 1, token: 0, bids: [], ...s }))
  } as unknown as JobRecord
}

/** What `update` prints for each of the given snapshots, in order. */
function printed (view: { update: (jobs: JobRecord[]) => void }, snapshots: JobRecord[][]): string[] {
  const lines: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string) => { lines.push(...chunk.split('\n').filter(l => l !== '')); return true }) as typeof process.stdout.write
  try {
    for (const jobs of snapshots) view.update(jobs)
  } finally {
    process.stdout.write = write
  }
  return lines
}

test('off a terminal, progress is one line per stage change, not the bars', async () => {
  const view = await stageProgress(1, false)
  assert.ok(view instanceof StageLines)
  const lines = printed(view, [
    [job('j1', [{ state: 'pending' }])],
    [job('j1', [{ state: 'running', peerName: 'node-1', progress: 10 }])],
    [job('j1', [{ state: 'running', peerName: 'node-1', progress: 60 }])],
    [job('j1', [{ state: 'done', peerName: 'node-1', startedAt: 1000, finishedAt: 3500 }])]
  ])
  assert.deepEqual(lines, ['j1  1. scad   running on node-1 10%', 'j1  1. scad   done on node-1 2.5 s'])
})

test('a stage that moves to another peer is printed again', async () => {
  const view = await stageProgress(2, false)
  const lines = printed(view, [
    [job('j1', [{ state: 'running', peerName: 'node-1' }]), job('j2', [{ state: 'pending' }])],
    [job('j1', [{ state: 'running', peerName: 'node-2' }])]
  ])
  assert.deepEqual(lines, ['j1  1. scad   running on node-1', 'j1  1. scad   running on node-2'])
})

test('a bidding stage prints the refusals of its attempt once, in peer order, and again only when they change', async () => {
  const view = await stageProgress(1, false)
  const bid = (peerName: string, reason: string, attempt = 1): object => ({ peerId: peerName, peerName, accept: false, reason, attempt, etaMs: 0, cached: false, busy: false, holdsInput: false })
  const lines = printed(view, [
    [job('j1', [{ kind: 'print', state: 'bidding', bids: [] }])],
    [job('j1', [{ kind: 'print', state: 'bidding', bids: [bid('pi', 'does not take prints from laptop'), bid('old', 'stale', 0)] as any }])],
    [job('j1', [{ kind: 'print', state: 'bidding', bids: [bid('ws', 'has no printer'), bid('pi', 'does not take prints from laptop')] as any }])],
    [job('j1', [{ kind: 'print', state: 'bidding', bids: [bid('pi', 'does not take prints from laptop'), bid('ws', 'has no printer')] as any }])]
  ])
  assert.deepEqual(lines, [
    'j1  1. print  bidding',
    'j1  1. print  bidding: refused by pi: does not take prints from laptop',
    'j1  1. print  bidding: refused by pi: does not take prints from laptop; ws: has no printer'
  ])
})
