/**
 * Which clipboard to use: pass's own (`pass show -c`, which needs xclip or wl-copy and a
 * display), else the terminal's (OSC 52), which keyz clears itself after the clip time.
 */

export type ClipMethod =
  | { kind: "pass"; tool: "xclip" | "wl-copy" }
  | {
    kind: "osc52";
    /** Why pass's clipboard (xclip, wl-copy) was not used, e.g. "xclip needs a display (DISPLAY is not set)". */
    why: string;
    /** Inside tmux, which passes OSC 52 on only with `set-clipboard on` (its default is external). */
    tmux: boolean;
  };

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
  const wl = onPath(env.PATH, "wl-copy"), xclip = onPath(env.PATH, "xclip");
  if (env.WAYLAND_DISPLAY && wl) return { kind: "pass", tool: "wl-copy" };
  if (env.DISPLAY && xclip) return { kind: "pass", tool: "xclip" };
  const why = xclip
    ? "xclip needs a display (DISPLAY is not set)"
    : wl
    ? "wl-copy needs a display (WAYLAND_DISPLAY is not set)"
    : "neither xclip nor wl-copy is installed";
  return { kind: "osc52", why, tmux: !!env.TMUX };
}

/** What a copy through OSC 52 did, said honestly: keyz cannot know whether it reached a clipboard. */
export function osc52Message(
  path: string,
  clip: Extract<ClipMethod, { kind: "osc52" }>,
  clipSeconds: number,
): string {
  const passed = clip.tmux
    ? "tmux passes it on only with set-clipboard on"
    : "your terminal puts it on the clipboard if it allows OSC 52";
  return `sent ${path} to the terminal (OSC 52); ${passed} (${clip.why}); cleared in ${clipSeconds}s or on quit`;
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
