/**
 * `deno task install` / `deno task uninstall`: put `keyz` and `keyz-run` into Deno's global bin
 * folder, the one `deno install -g` uses ($DENO_INSTALL_ROOT/bin, else ~/.deno/bin).
 *
 * `keyz` is a launcher: `deno run` of this checkout with the `keyz` permission set and the V8
 * flags of the keyz and compile tasks. `deno install -g` itself would be the obvious tool, but
 * Deno 2.9 drops `-P=keyz` from the shim it writes (keyz then runs without permissions), so
 * this writes the same kind of shim with the flags kept. It runs in the caller's folder, so
 * relative paths mean what the user typed. `keyz-run` is a copy of bin/keyz-run, which finds
 * the `keyz` beside it. Both files carry a marker line; uninstall removes only files with it.
 */
import { shQuote } from "../src/keyenv/quote.ts";

export const MARKER = "# installed by keyz (deno task install)";
/** The V8 flags of deno.json's keyz and compile tasks (tests/support_test.ts keeps them equal). */
export const V8_FLAGS = "--v8-flags=--min-semi-space-size=16";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Where `deno install -g` puts executables. */
export function binDir(env: { DENO_INSTALL_ROOT?: string; HOME?: string }): string {
  if (env.DENO_INSTALL_ROOT) return `${env.DENO_INSTALL_ROOT.replace(/\/+$/, "")}/bin`;
  if (!env.HOME) throw new Error("neither DENO_INSTALL_ROOT nor HOME is set");
  return `${env.HOME}/.deno/bin`;
}

/** The `keyz` launcher: this checkout under exactly the release permission set. */
export function launcher(deno: string, root: string): string {
  const argv = [
    deno,
    "run",
    "-q",
    "-P=keyz",
    V8_FLAGS,
    "--no-prompt",
    "--config",
    `${root}/deno.json`,
    `${root}/main.ts`,
  ].map(shQuote).join(" ");
  return `#!/bin/sh\n${MARKER}\n# keyz from ${root}; remove with: deno task uninstall\nexec ${argv} "$@"\n`;
}

/** bin/keyz-run with the marker after its first line. */
export function keyzRunScript(text: string): string {
  const nl = text.indexOf("\n");
  return `${text.slice(0, nl + 1)}${MARKER}\n${text.slice(nl + 1)}`;
}

async function isOurs(file: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(file)).split("\n", 3).includes(MARKER);
  } catch {
    return false;
  }
}

async function writeExecutable(file: string, text: string): Promise<void> {
  const exists = await Deno.lstat(file).then(() => true, () => false);
  if (exists && !(await isOurs(file))) {
    throw new Error(`${file} exists and was not installed by keyz; remove it first`);
  }
  const tmp = `${file}.keyz-tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o755 });
  await Deno.chmod(tmp, 0o755);
  await Deno.rename(tmp, file);
}

function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

export async function install(bin: string): Promise<void> {
  await Deno.mkdir(bin, { recursive: true });
  await writeExecutable(`${bin}/keyz`, launcher(Deno.execPath(), ROOT));
  await writeExecutable(
    `${bin}/keyz-run`,
    keyzRunScript(await Deno.readTextFile(`${ROOT}/bin/keyz-run`)),
  );
  say(`installed ${bin}/keyz and ${bin}/keyz-run (running ${ROOT} with deno ${Deno.version.deno})`);
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(bin)) say(`add ${bin} to your PATH: export PATH="${bin}:$PATH"`);
  say('shell integration (keyz run, completions): eval "$(keyz init bash)" in ~/.bashrc');
}

export async function uninstall(bin: string): Promise<void> {
  for (const name of ["keyz", "keyz-run"]) {
    const file = `${bin}/${name}`;
    if (await isOurs(file)) {
      await Deno.remove(file);
      say(`removed ${file}`);
    } else if (await Deno.lstat(file).then(() => true, () => false)) {
      say(`left ${file} alone: keyz did not install it`);
    }
  }
}

if (import.meta.main) {
  const bin = binDir({
    DENO_INSTALL_ROOT: Deno.env.get("DENO_INSTALL_ROOT"),
    HOME: Deno.env.get("HOME"),
  });
  try {
    if (Deno.args[0] === "--uninstall") await uninstall(bin);
    else await install(bin);
  } catch (e) {
    say(`keyz install: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
