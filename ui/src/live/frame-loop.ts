// One requestAnimationFrame loop for every chart: a chart marked dirty any number of
// times between two frames redraws once, and a chart whose data did not change never.
const dirty = new Set<() => void>()
let scheduled = false

function flush() {
  scheduled = false
  const jobs = [...dirty]
  dirty.clear()
  for (const job of jobs) job()
}

export function markDirty(redraw: () => void) {
  dirty.add(redraw)
  if (!scheduled) {
    scheduled = true
    requestAnimationFrame(flush)
  }
}
