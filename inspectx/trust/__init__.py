"""Trust: trust lists of accredited labs, their distribution, and admissibility (DESIGN §5-6)."""

from inspectx.trust.fetch import (
    TrustSnapshot,
    default_cache_dir,
    load_snapshot,
    snapshot_for,
    update_trust_list,
)
from inspectx.trust.lists import (
    Entity,
    Scope,
    Service,
    ServiceStatus,
    StatusChange,
    TrustedKey,
    TrustError,
    TrustList,
    build_trust_list,
    load_trust_list,
    read_trust_list_data,
    render_trust_list,
    sign_trust_list,
)
from inspectx.trust.verify import Check, CheckStatus, VerificationReport, verify_admissible

__all__ = [
    "Check",
    "CheckStatus",
    "Entity",
    "Scope",
    "Service",
    "ServiceStatus",
    "StatusChange",
    "TrustError",
    "TrustList",
    "TrustSnapshot",
    "TrustedKey",
    "VerificationReport",
    "build_trust_list",
    "default_cache_dir",
    "load_snapshot",
    "load_trust_list",
    "read_trust_list_data",
    "render_trust_list",
    "sign_trust_list",
    "snapshot_for",
    "update_trust_list",
    "verify_admissible",
]
