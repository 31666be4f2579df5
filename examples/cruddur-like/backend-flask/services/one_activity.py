from services.mock import posts


class OneActivity:
    @staticmethod
    def run(activity_uuid):
        found = [p for p in posts() if p["uuid"] == activity_uuid]
        if not found:
            return {"errors": ["activity_not_found"]}
        return {"data": found[0]}
