/**
 * Asking the user before a change that needs consent (mapping what `discover` found, trusting
 * a manifest): a y/N question on stderr, one line read from stdin. Only on a terminal; without
 * one, commands take a flag instead (--apply, --yes) and never wait for input.
 */
const enc = new TextEncoder();

/** Whether a question can be asked: stdin and stderr are a terminal. */
export function canAsk(): boolean {
  return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
}

/** Ask `question [y/N]`; true only for y or yes. End of input is no. */
export async function confirm(question: string): Promise<boolean> {
  Deno.stderr.writeSync(enc.encode(`${question} [y/N] `));
  const dec = new TextDecoder();
  const buf = new Uint8Array(256);
  let line = "";
  while (!line.includes("\n") && line.length < 1024) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    line += dec.decode(buf.subarray(0, n), { stream: true });
  }
  return /^\s*y(?:es)?\s*$/i.test(line.split("\n")[0]);
}
