from services.mock import posts


class NotificationsFeed:
    """Replies to the demo user's posts (here: every reply in the mock data)."""

    @staticmethod
    def run():
        return [reply for post in posts() for reply in post["replies"]]
