// Light live updates: ask again after 2 s while something moves, backing off to 30 s when
// nothing changed, pausing while the tab is hidden, and stopping with the screen.
export function poll(load, { first = 2000, max = 30000 } = {}) {
  let delay = first;
  let timer = null;
  let stopped = false;
  let last = null;
  async function tick() {
    if (stopped) return;
    if (document.hidden) { timer = setTimeout(tick, 1000); return; }
    let busy = false;
    let signature = null;
    try {
      ({ busy, signature } = (await load()) || {});
    } catch (error) {
      busy = true;  // try again later, slower
      signature = "error";
    }
    if (stopped) return;
    delay = signature !== last && busy ? first : Math.min(max, delay * 2);
    last = signature;
    timer = setTimeout(tick, busy ? delay : max);
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
