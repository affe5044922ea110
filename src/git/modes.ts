/** What keyz does with git after writing sidecars (no imports: the fast start path reads it). */
export const GIT_MODES = ["commit", "stage", "none"] as const;
export type GitMode = typeof GIT_MODES[number];
