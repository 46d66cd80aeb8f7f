#!/usr/bin/env node
// Command-line entry point. The engine is TypeScript; tsx compiles it on the fly so the
// CLI always runs exactly the sources in this checkout (no stale build).
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src-main/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
