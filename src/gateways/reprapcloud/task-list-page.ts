/**
 * What a browser gets on `/`, as the relay's www/index.html did: a page that asks this gateway for its meta and
 * task list as JSON every 10 s and links each task's record. Self-contained: no script or font from elsewhere.
 */
export const TASK_LIST_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>RepRapCloud tasks</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222 }
table { border-collapse: collapse; width: 100% }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; font-size: .9em }
.busy { color: #a60 } .complete { color: #070 } .failed { color: #b00 }
#meta { color: #555; margin-bottom: 1em }
</style>
</head>
<body>
<h1>RepRapCloud tasks</h1>
<div id="meta"></div>
<table>
<thead><tr><th>id</th><th>service</th><th>status</th><th>created</th><th>ended</th><th>server</th><th>output</th><th>log</th></tr></thead>
<tbody id="tasks"></tbody>
</table>
<script>
const text = (value) => document.createTextNode(value == null ? '' : String(value))
const when = (seconds) => seconds ? new Date(Number(seconds) * 1000).toLocaleString() : ''
const link = (href, label) => { const a = document.createElement('a'); a.href = href; a.append(text(label)); return a }
async function refresh () {
  try {
    const [meta, tasks] = await Promise.all([
      fetch('?service=meta&format=json').then(r => r.json()),
      fetch('?service=info&format=json').then(r => r.json())
    ])
    document.getElementById('meta').replaceChildren(text(meta.serverName + ' - ' + meta.version + ' - services: ' + meta.services + ' - load ' + meta.cpuLoad + ' - ' + meta.tasks + ' tasks'))
    const rows = tasks.slice().reverse().map(task => {
      const row = document.createElement('tr')
      const cells = [
        link('?service=info&id=' + encodeURIComponent(task.id), task.id), text(task.service), text(task.status),
        text(when(task.ctime)), text(when(task.etime)), text(task.server),
        task.out && task.status === 'complete' ? link('/' + task.out, task.out) : text(''),
        link('/tasks/log/' + encodeURIComponent(task.id), 'log')
      ]
      cells.forEach((cell, i) => { const td = document.createElement('td'); if (i === 2) td.className = task.status; td.append(cell); row.append(td) })
      return row
    })
    document.getElementById('tasks').replaceChildren(...rows)
  } catch (err) {
    document.getElementById('meta').replaceChildren(text('cannot reach the gateway: ' + err.message))
  }
}
refresh()
setInterval(refresh, 10000)
</script>
</body>
</html>
`
