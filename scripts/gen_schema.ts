/**
 * `deno task schema`: writes the generated files that must stay in step with the sources
 * (a test fails when they are stale):
 *   schema/provider.schema.json   JSON Schema of provider manifests (from the zod schema)
 *   src/providers/builtin.ts      text imports of every providers/*.jsonc (embedded in the binary)
 */
import { generatedFiles } from "./generated.ts";

const root = new URL("..", import.meta.url).pathname;
for (const [path, text] of Object.entries(await generatedFiles(root))) {
  await Deno.writeTextFile(`${root}${path}`, text);
  Deno.stderr.writeSync(new TextEncoder().encode(`wrote ${path}\n`));
}
