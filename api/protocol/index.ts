// The live WebSocket protocol (docs/protocol.md): vocabulary (frames.ts), MessagePack codec
// (codec.ts) and the row blocks and frames built from them (blocks.ts). Shared by the gateway
// and the browser, so it imports no server code.
export * from './frames.ts'
export * from './codec.ts'
export * from './blocks.ts'
