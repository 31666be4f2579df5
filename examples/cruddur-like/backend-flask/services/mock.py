"""Mock posts shared by the feeds: times are relative to now, so the feed always looks fresh."""
from datetime import datetime, timedelta, timezone


def ago(**delta):
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def ahead(**delta):
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def posts():
    return [
        {
            "uuid": "0b6f2a1e-5c1d-4d3e-9a7b-1f2e3d4c5b6a",
            "handle": "ada",
            "display_name": "Ada",
            "message": "Traces or it did not happen.",
            "created_at": ago(hours=3),
            "expires_at": ahead(days=4),
            "likes_count": 7,
            "replies_count": 1,
            "reposts_count": 2,
            "replies": [
                {
                    "uuid": "6c1d0e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "reply_to_activity_uuid": "0b6f2a1e-5c1d-4d3e-9a7b-1f2e3d4c5b6a",
                    "handle": "grace",
                    "message": "And a log line with the trace id.",
                    "likes_count": 1,
                    "replies_count": 0,
                    "reposts_count": 0,
                    "created_at": ago(hours=2),
                }
            ],
        },
        {
            "uuid": "9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9",
            "handle": "grace",
            "display_name": "Grace",
            "message": "Retention set to 14 days. My bill thanks me.",
            "created_at": ago(days=1),
            "expires_at": ahead(days=6),
            "likes_count": 3,
            "replies_count": 0,
            "reposts_count": 0,
            "replies": [],
        },
        {
            "uuid": "3f2e1d0c-b9a8-4776-8554-433221100ffe",
            "handle": "linus",
            "display_name": "Linus",
            "message": "The sampling rule says 5 a second and 10 percent after that.",
            "created_at": ago(minutes=40),
            "expires_at": ahead(hours=20),
            "likes_count": 0,
            "replies_count": 0,
            "reposts_count": 1,
            "replies": [],
        },
    ]
