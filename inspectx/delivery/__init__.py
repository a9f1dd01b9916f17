"""Delivery-to-consumer proofs (DESIGN §7): EPCIS 2.0 custody events, their hashes,
delivery-proof bundles and their verification."""
