#!/usr/bin/env node
// Launcher: runs the TypeScript entry point with Node's type stripping (Node >= 22.18).
import { program } from "../src/main.ts";

await program.parseAsync(process.argv);
