export function runDemo(_opts: { browse: boolean }): Promise<number> {
  return Promise.resolve(0);
}
