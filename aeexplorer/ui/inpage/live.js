// The latent map under the pointer, in the page: the decoded image of the z under the pointer
// drawn beside the map on every move with no message to the server, a click answered here at
// once (the server follows), and the interpolation walk played with a marker on the map.
// Mounted by aeexplorer/ui/explorer/live.py as two Streamlit components.v2 components (in the
// page, no iframe): "hover" (the Panel beside the map) and "play" (the Player's controls).
// live.py joins decoder.js, mapbridge.js, paint.js, panel.js, player.js and this file into one
// module (and linked.js, the linked maps of Compare and Anomalies, before this file).
//
// Each mounted component keeps its state in one object (a Panel or a Player) in ``registry``,
// which outlives Streamlit's reruns: a rerun hands it new data (``update``); a new model, page
// or layout builds a new one, and the old one removes its listeners, timers, animation frames
// and marker (``dispose``), as Streamlit's unmount does. Nothing is kept on DOM nodes.

const registry = (window.__aeComponents ||= new Map());  // component key -> Panel | Player

/** The object of component ``key`` for this mount and data, built anew when its element,
 *  model or layout changed. */
function mounted(key, Kind, parent, data) {
  const build = JSON.stringify([data.model, data.net && data.net.url, data.talk]);
  let it = registry.get(key);
  if (!it || it.parent !== parent || it.build !== build || !it.root) {
    if (it) it.dispose();
    it = new Kind(parent, data);
    Object.assign(it, { parent, build, key });
    registry.set(key, it);
  }
  it.update(data);
  return it;
}

/** For tests and benchmarks only: what the page shows now (see docs/architecture.md). */
G.probe = () => {
  const panel = registry.get("live"), player = registry.get("live_play");
  const shown = panel && panel.root ? panel.probe()
    : { state: "none", title: "", z: null, pixels: null, decoder: null };
  return { ...shown, model: panel && panel.data ? panel.data.model : null,
           marker: player && player.root ? player.marker.probe() : null,
           walk: player && player.root ? player.probe() : null };
};

/** For tests and benchmarks only: what linked maps ``key`` show now (linked.js). */
G.linked = (key) => {
  const it = registry.get(key);
  return it && it.root && it instanceof LinkedMaps ? it.probe() : null;
};

/** The component's key in the registry and its kind: the Explorer's panel and player, or a
 *  row of linked maps (Compare, Anomalies) under the key its page gives it. */
function kindOf(data) {
  if (data.mode === "play") return ["live_play", Player];
  return data.mode === "linked" ? ["linked:" + data.key, LinkedMaps] : ["live", Panel];
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const [key, Kind] = kindOf(data);
  const it = mounted(key, Kind, parentElement, data);
  it.trigger = setTriggerValue;
  // Streamlit calls this when the component is unmounted (another page, the path cleared),
  // and also at once for a call that a newer one overtook: only the first is an unmount
  return () => setTimeout(() => alive(it), 0);
}

/** Whether ``it`` is still mounted; one whose element left the document is disposed. */
function alive(it) {
  if (it.root && it.parent && !it.parent.isConnected) {
    if (registry.get(it.key) === it) registry.delete(it.key);
    it.dispose();
  }
  return Boolean(it.root);
}
