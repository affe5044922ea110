/**
 * `deno task package --binary FILE --name NAME [--out DIR]`: the release archive of one platform,
 * as .github/workflows/release.yml calls it after `deno compile`:
 *
 *   NAME/bin/keyz                                  the binary given
 *   NAME/bin/keyz-run                              bin/keyz-run (finds the keyz beside it)
 *   NAME/share/man/man1/keyz.1                     man page (src/cli/reference.ts manPage)
 *   NAME/share/bash-completion/completions/keyz    completions, also for keyz-run
 *   NAME/share/bash-completion/completions/keyz-run
 *   NAME/share/zsh/site-functions/_keyz
 *   NAME/share/fish/vendor_completions.d/keyz.fish
 *   NAME/share/fish/vendor_completions.d/keyz-run.fish
 *   NAME/README.md
 *
 * packed as OUT/NAME.tar.gz with OUT/NAME.tar.gz.sha256 (`sha256sum -c` format). Everything but
 * the binary comes from these sources, never from running the binary: a cross-compiled binary
 * does not run on the machine that packs it. Reproducible: sorted, owner 0, file times (and the
 * man page's date) from SOURCE_DATE_EPOCH (the workflow sets the tagged commit's time).
 */
import { completionScript } from "../src/cli/completions.ts";
import { manPage } from "../src/cli/reference.ts";
import { VERSION } from "../src/cli/program.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export interface PackageOptions {
  binary: string;
  name: string;
  out: string;
  /** Seconds since the epoch for file times and the man page's date. */
  epoch: number;
}

/** Every file of the archive below NAME/, with its mode and text (the binary: its path). */
export function layout(epoch: number): { path: string; mode: number; text?: string }[] {
  const date = new Date(epoch * 1000).toISOString().slice(0, 10);
  const bash = completionScript("bash"), zsh = completionScript("zsh");
  const fish = completionScript("fish");
  return [
    { path: "bin/keyz", mode: 0o755 },
    { path: "bin/keyz-run", mode: 0o755, text: Deno.readTextFileSync(`${ROOT}/bin/keyz-run`) },
    { path: "share/man/man1/keyz.1", mode: 0o644, text: manPage(VERSION, date) },
    { path: "share/bash-completion/completions/keyz", mode: 0o644, text: bash },
    { path: "share/bash-completion/completions/keyz-run", mode: 0o644, text: bash },
    { path: "share/zsh/site-functions/_keyz", mode: 0o644, text: zsh },
    { path: "share/fish/vendor_completions.d/keyz.fish", mode: 0o644, text: fish },
    { path: "share/fish/vendor_completions.d/keyz-run.fish", mode: 0o644, text: fish },
    { path: "README.md", mode: 0o644, text: Deno.readTextFileSync(`${ROOT}/README.md`) },
  ];
}

async function sha256File(file: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function pack(o: PackageOptions): Promise<{ archive: string; sha256: string }> {
  if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new Error(`bad archive name ${o.name}`);
  await Deno.mkdir(o.out, { recursive: true });
  const stage = await Deno.makeTempDir({ dir: o.out, prefix: ".stage-" });
  try {
    const top = `${stage}/${o.name}`;
    for (const f of layout(o.epoch)) {
      const dest = `${top}/${f.path}`;
      await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
      if (f.text === undefined) await Deno.copyFile(o.binary, dest);
      else await Deno.writeTextFile(dest, f.text);
      await Deno.chmod(dest, f.mode);
    }
    const archive = `${o.out}/${o.name}.tar.gz`;
    const tar = await new Deno.Command("tar", {
      args: [
        "--sort=name",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        `--mtime=@${o.epoch}`,
        // gzip -n: no file name or time in the gzip header, so the same files give the same bytes.
        "--use-compress-program=gzip -n",
        "-cf",
        archive,
        "-C",
        stage,
        o.name,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!tar.success) throw new Error(`tar exited ${tar.code}`);
    const sha256 = await sha256File(archive);
    const base = archive.slice(archive.lastIndexOf("/") + 1);
    await Deno.writeTextFile(`${archive}.sha256`, `${sha256}  ${base}\n`);
    return { archive, sha256 };
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (import.meta.main) {
  const args = Deno.args;
  const binary = flag(args, "--binary"), name = flag(args, "--name");
  if (!binary || !name) {
    Deno.stderr.writeSync(
      new TextEncoder().encode("usage: deno task package --binary FILE --name NAME [--out DIR]\n"),
    );
    Deno.exit(2);
  }
  const fromEnv = Deno.env.get("SOURCE_DATE_EPOCH");
  const epoch = fromEnv ? Number(fromEnv) : Math.floor(Date.now() / 1000);
  try {
    const r = await pack({ binary, name, out: flag(args, "--out") ?? "dist", epoch });
    Deno.stderr.writeSync(new TextEncoder().encode(`packed ${r.archive} (sha256 ${r.sha256})\n`));
  } catch (e) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`keyz package: ${e instanceof Error ? e.message : e}\n`),
    );
    Deno.exit(1);
  }
}
