import uuid
from datetime import timedelta

from services.mock import ahead

LIFETIMES = {
    "1-hour": timedelta(hours=1),
    "12-hours": timedelta(hours=12),
    "1-day": timedelta(days=1),
    "7-days": timedelta(days=7),
    "30-days": timedelta(days=30),
}


class PostActivity:
    @staticmethod
    def run(message, user_handle, ttl):
        errors = []
        if ttl not in LIFETIMES:
            errors.append("ttl_unknown")
        if not message:
            errors.append("message_blank")
        elif len(message) > 280:
            errors.append("message_too_long")
        if errors:
            return {"errors": errors}
        return {
            "data": {
                "uuid": str(uuid.uuid4()),
                "handle": user_handle,
                "message": message,
                "expires_at": ahead(seconds=LIFETIMES[ttl].total_seconds()),
            }
        }
