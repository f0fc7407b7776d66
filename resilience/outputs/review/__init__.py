"""The review pack: a printable page per flagged LSOA, the review-log template.

See :mod:`resilience.outputs.review.pack`.
"""

from .pack import NEAR_METRES, PackInputs, pack_order, write_review_pack

__all__ = ["NEAR_METRES", "PackInputs", "pack_order", "write_review_pack"]
