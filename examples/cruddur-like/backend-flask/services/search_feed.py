from services.mock import posts


class SearchFeed:
    @staticmethod
    def run(term):
        if not term:
            return {"errors": ["search_term_blank"]}
        term = term.lower()
        return {"data": [p for p in posts() if term in p["message"].lower()]}
