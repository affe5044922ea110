/** `keyz demo`: see src/demo/demo.ts. */
export async function demoCommand(opts: { browse: boolean }): Promise<number> {
  const { runDemo } = await import("../demo/demo.ts");
  return await runDemo(opts);
}
