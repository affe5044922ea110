import { runMain } from "./src/cli/main.ts";

if (import.meta.main) await runMain(Deno.args);
