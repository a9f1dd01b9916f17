"""Proofs over certificates: W3C Data Integrity (JCS cryptosuites) and their key encodings.

Import the submodules: :mod:`inspectx.proofs.dataintegrity` (create and verify proofs) and
:mod:`inspectx.proofs.multibase` (base58btc, multicodec keys, ``did:key``). Importing this
package loads nothing.
"""

from __future__ import annotations
