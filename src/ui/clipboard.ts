/**
 * Which clipboard to use: pass's own (`pass show -c`, which needs xclip or wl-copy and a
 * display), else the terminal's (OSC 52), which keyz clears itself after the clip time.
 */

export type ClipMethod = { kind: "pass"; tool: "xclip" | "wl-copy" } | { kind: "osc52" };

function onPath(pathVar: string | undefined, tool: string): boolean {
  for (const dir of (pathVar ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${tool}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/** The same test pass makes: Wayland with wl-copy, else X11 with xclip. */
export function clipMethod(env: Record<string, string>): ClipMethod {
  if (env.WAYLAND_DISPLAY && onPath(env.PATH, "wl-copy")) return { kind: "pass", tool: "wl-copy" };
  if (env.DISPLAY && onPath(env.PATH, "xclip")) return { kind: "pass", tool: "xclip" };
  return { kind: "osc52" };
}

/** OSC 52: set the terminal's clipboard to `text`. */
export function osc52Set(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `\x1b]52;c;${btoa(bin)}\x07`;
}

/** OSC 52 with an empty payload: clear the terminal's clipboard. */
export const OSC52_CLEAR = "\x1b]52;c;\x07";
