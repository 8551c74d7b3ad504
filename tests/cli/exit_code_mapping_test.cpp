// The CLI's one mapping from a library error code to an exit status (tools/tagmetry/exit_codes.h):
// every code, decided by the code alone, whatever the message says.
#include <gtest/gtest.h>

#include "exit_codes.h"

namespace tagmetry::cli {
namespace {

TEST(ExitCodeMapping, AFatalErrorStopsTheRunWith2AndAnInterruptedRunExits1) {
  EXPECT_EQ(exit_code_for(Status()), 0);
  EXPECT_EQ(exit_code_for(cancelled("interrupted")), 1);
  for (const Status& s : {invalid_argument("x"), not_found("x"), io_error("x"), corrupt("x"), unsupported("x"),
                          model_error("x"), network_error("x"), already_exists("x"), internal_error("x"), busy("x")})
    EXPECT_EQ(exit_code_for(s), 2) << error_code_name(s.code());
}

TEST(ExitCodeMapping, OneFailedItemIs2WhenNothingCouldBeDoneAnd1WhenTheRestWentOn) {
  EXPECT_EQ(item_exit_code_for(Status()), 0);
  for (const Status& s : {invalid_argument("x"), not_found("x"), unsupported("x"), model_error("x"),
                          already_exists("x"), busy("x")})
    EXPECT_EQ(item_exit_code_for(s), 2) << error_code_name(s.code());
  for (const Status& s : {io_error("x"), corrupt("x"), network_error("x"), cancelled("x"), internal_error("x")})
    EXPECT_EQ(item_exit_code_for(s), 1) << error_code_name(s.code());
}

TEST(ExitCodeMapping, TheMessageTextPlaysNoPart) {
  // A lock held by another run is "busy" however it is worded; an I/O error that happens to mention
  // another run is still an I/O error.
  EXPECT_EQ(item_exit_code_for(busy("data.db: locked")), 2);
  EXPECT_EQ(item_exit_code_for(io_error("x: in use by another tagmetry run (pid 1)")), 1);
}

}  // namespace
}  // namespace tagmetry::cli
