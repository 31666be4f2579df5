# The sample backend cruddur-obs is tried on: a Flask API in the shape of the
# bootcamp's Cruddur backend (flask-cors from FRONTEND_URL/BACKEND_URL, mock data
# from services/). Two-space indentation and the string `allow_headers` are kept
# on purpose: that is what students' files look like.
import os

from flask import Flask, request
from flask_cors import CORS, cross_origin

from services.home_feed import HomeFeed
from services.notifications_feed import NotificationsFeed
from services.user_feed import UserFeed
from services.search_feed import SearchFeed
from services.post_activity import PostActivity
from services.one_activity import OneActivity
from services.conversations import Conversations

app = Flask(__name__)

allowed = [os.getenv("FRONTEND_URL"), os.getenv("BACKEND_URL")]
cors = CORS(
  app,
  resources={r"/api/*": {"origins": allowed}},
  allow_headers="content-type,if-modified-since",
  methods="OPTIONS,GET,HEAD,POST",
  expose_headers="location,link"
)

def answer(result):
  # services return {'errors': [...]} or {'data': ...}
  if result.get("errors"):
    return {"errors": result["errors"]}, 422
  return result["data"], 200

@app.route("/api/activities/home", methods=["GET"])
def home_feed():
  return HomeFeed.run(), 200

@app.route("/api/activities/notifications", methods=["GET"])
def notifications_feed():
  return NotificationsFeed.run(), 200

@app.route("/api/activities/@<string:handle>", methods=["GET"])
def user_feed(handle):
  return answer(UserFeed.run(handle))

@app.route("/api/activities/search", methods=["GET"])
def search_feed():
  return answer(SearchFeed.run(request.args.get("term")))

@app.route("/api/activities", methods=["POST", "OPTIONS"])
@cross_origin()
def post_activity():
  # a body without "message" raises KeyError: the 500 the Rollbar part reports
  body = request.json
  return answer(PostActivity.run(body["message"], "demo-user", body["ttl"]))

@app.route("/api/activities/<string:activity_uuid>", methods=["GET"])
def one_activity(activity_uuid):
  return answer(OneActivity.run(activity_uuid))

@app.route("/api/message_groups", methods=["GET"])
def conversations():
  return answer(Conversations.run("demo-user"))

if __name__ == "__main__":
  app.run(debug=True)
