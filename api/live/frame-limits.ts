/** Client frames above this close the connection with 1009 (below it, an ERROR frame). */
export const hardFrameBytes = (maxFrameBytes: number) => maxFrameBytes * 16

/** What uWS reads at all: at least 1 MiB, so a frame somewhat over the hard limit still gets its 1009. */
export const transportFrameCapBytes = (maxFrameBytes: number) => Math.max(1024 * 1024, 4 * hardFrameBytes(maxFrameBytes))
