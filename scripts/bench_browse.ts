/**
 * `keyz browse` speed on a store (the lead's scripts/bench.ts passes a 10,000-entry one):
 * - firstScreenMs: in-process, from loading the browser's modules through listing the store,
 *   reading every sidecar (viewKeys) and building the tree to the first full 80x24 frame
 *   (Deno's own start-up, ~40 ms, is not included);
 * - filterKeystrokeMs: the median time of one typed filter character, state update plus a
 *   full redraw, over a typed-and-erased query.
 */
export async function benchBrowse(
  storeDir: string,
): Promise<{ firstScreenMs: number; filterKeystrokeMs: number }> {
  const t0 = performance.now();
  const [{ loadProviders }, { PassCliStore }, { Sidecars }, { loadState }, { render }, state] =
    await Promise.all([
      import("../src/providers/load.ts"),
      import("../src/store/pass_cli.ts"),
      import("../src/sidecars/sidecars.ts"),
      import("../src/ui/load.ts"),
      import("../src/ui/render.ts"),
      import("../src/ui/state.ts"),
    ]);
  const sidecars = new Sidecars(storeDir);
  const ctx = {
    storeDir,
    store: new PassCliStore(storeDir),
    sidecars,
    providers: await loadProviders({ storeDir }),
    map: await sidecars.readMap(),
  };
  const viewport = { width: 80, height: 24 };
  let s = await loadState(ctx, { now: new Date(), viewport });
  render(s, { ...viewport, color: true });
  const firstScreenMs = performance.now() - t0;

  const times: number[] = [];
  const typed = [..."openrouter"];
  const step = (key: { name: "char"; ch: string } | { name: "backspace" }) => {
    const t = performance.now();
    s = state.onKey(s, key).state;
    render(s, { ...viewport, color: true });
    times.push(performance.now() - t);
  };
  s = state.onKey(s, { name: "char", ch: "/" }).state;
  for (let round = 0; round < 3; round++) {
    for (const ch of typed) step({ name: "char", ch });
    for (let i = 0; i < typed.length; i++) step({ name: "backspace" });
  }
  times.sort((a, b) => a - b);
  return { firstScreenMs, filterKeystrokeMs: times[Math.floor(times.length / 2)] };
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) throw new Error("usage: deno run -A scripts/bench_browse.ts <store dir>");
  const r = await benchBrowse(dir);
  // deno-lint-ignore no-console
  console.log(JSON.stringify(r));
}
