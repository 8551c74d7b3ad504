// The server's one mapping from a library error code to an HTTP status and JSON error code
// (src/server/http_util.h), and send_status's answer: decided by the code, never by the message text.
#include <gtest/gtest.h>

#include "../../src/server/http_util.h"

namespace tagmetry::server {
namespace {

void expect_mapping(ErrorCode code, int status, const std::string& name) {
  const HttpError e = http_error_for(code);
  EXPECT_EQ(e.status, status) << error_code_name(code);
  EXPECT_EQ(std::string(e.code), name) << error_code_name(code);
}

TEST(HttpStatusMapping, EveryErrorCodeHasItsStatus) {
  expect_mapping(ErrorCode::kInvalidArgument, 400, "bad_request");
  expect_mapping(ErrorCode::kCorrupt, 400, "bad_request");
  expect_mapping(ErrorCode::kNotFound, 404, "not_found");
  expect_mapping(ErrorCode::kAlreadyExists, 409, "conflict");
  expect_mapping(ErrorCode::kBusy, 409, "busy");
  expect_mapping(ErrorCode::kCancelled, 409, "cancelled");
  expect_mapping(ErrorCode::kUnsupported, 422, "unsupported");
  expect_mapping(ErrorCode::kModel, 422, "unsupported");
  expect_mapping(ErrorCode::kIo, 500, "internal");
  expect_mapping(ErrorCode::kNetwork, 502, "bad_gateway");
  expect_mapping(ErrorCode::kInternal, 500, "internal");
}

TEST(HttpStatusMapping, ALockHeldByAnotherProcessIs409BusyWhateverTheMessageSays) {
  httplib::Response res;
  send_status(res, busy("t.db.lock: held (pid 7)"));
  EXPECT_EQ(res.status, 409);
  auto body = json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "busy");
  EXPECT_EQ(body["error"]["message"], "t.db.lock: held (pid 7)");
  // The old text search answered 409 for any I/O error naming another run; the code says it is not busy.
  httplib::Response io;
  send_status(io, io_error("x.txt: cannot write (another tagmetry run removed the folder)"));
  EXPECT_EQ(io.status, 500);
  EXPECT_EQ(json::parse(io.body)["error"]["code"], "internal");
}

}  // namespace
}  // namespace tagmetry::server
