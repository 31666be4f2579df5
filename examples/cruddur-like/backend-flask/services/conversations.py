from services.mock import ago


class Conversations:
    @staticmethod
    def run(user_handle):
        return {
            "data": [
                {"uuid": "a1b2c3d4-0000-4000-8000-000000000001", "handle": "grace",
                 "message": "see you at the standup", "created_at": ago(minutes=5)},
                {"uuid": "a1b2c3d4-0000-4000-8000-000000000002", "handle": "linus",
                 "message": "the daemon needs -o locally", "created_at": ago(hours=6)},
            ]
        }
