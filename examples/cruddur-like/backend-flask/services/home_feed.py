from services.mock import posts


class HomeFeed:
    @staticmethod
    def run():
        return sorted(posts(), key=lambda p: p["created_at"], reverse=True)
