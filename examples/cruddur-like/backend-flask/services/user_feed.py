from services.mock import posts


class UserFeed:
    @staticmethod
    def run(handle):
        if not handle:
            return {"errors": ["blank_user_handle"]}
        return {"data": [p for p in posts() if p["handle"] == handle]}
