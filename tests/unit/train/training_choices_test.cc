// The named training choices: every name parses to its enum and back, and an unknown name is
// an INVALID_ARGUMENT that lists the allowed ones.
#include "train/training_choices.h"

#include <gtest/gtest.h>

#include "train/train_options.h"

namespace fenlei::train {
namespace {

TEST(TrainingChoicesTest, ScheduleNamesRoundTrip) {
  for (LrScheduleKind k : {LrScheduleKind::kConstant, LrScheduleKind::kStep,
                           LrScheduleKind::kCosine, LrScheduleKind::kPlateau}) {
    auto parsed = parse_lr_schedule(lr_schedule_name(k));
    ASSERT_TRUE(parsed.ok()) << lr_schedule_name(k);
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_STREQ(lr_schedule_name(LrScheduleKind::kCosine), "cosine");
}

TEST(TrainingChoicesTest, MonitorNamesRoundTrip) {
  EXPECT_EQ(*parse_monitor("valid_loss"), Monitor::kValidLoss);
  EXPECT_EQ(*parse_monitor("valid_accuracy"), Monitor::kValidAccuracy);
  EXPECT_STREQ(monitor_name(Monitor::kValidAccuracy), "valid_accuracy");
}

TEST(TrainingChoicesTest, FreezeNoneIsTheEmptyName) {
  // Models record "" for nothing frozen; both "" and "none" mean it.
  EXPECT_EQ(*parse_freeze(""), Freeze::kNone);
  EXPECT_EQ(*parse_freeze("none"), Freeze::kNone);
  EXPECT_STREQ(freeze_name(Freeze::kNone), "");
  EXPECT_EQ(*parse_freeze(freeze_name(Freeze::kConv)), Freeze::kConv);
  EXPECT_EQ(*parse_freeze(freeze_name(Freeze::kEmbedding)), Freeze::kEmbedding);
}

TEST(TrainingChoicesTest, UnknownNamesListTheAllowedOnes) {
  auto schedule = parse_lr_schedule("linear");
  ASSERT_FALSE(schedule.ok());
  EXPECT_EQ(schedule.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(schedule.status().message().find("linear"), std::string::npos);
  EXPECT_NE(schedule.status().message().find("plateau"), std::string::npos);

  auto monitor = parse_monitor("loss");
  ASSERT_FALSE(monitor.ok());
  EXPECT_EQ(monitor.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(monitor.status().message().find("valid_accuracy"), std::string::npos);

  auto freeze = parse_freeze("dense");
  ASSERT_FALSE(freeze.ok());
  EXPECT_EQ(freeze.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(freeze.status().message().find("embedding"), std::string::npos);
}

TEST(TrainingChoicesTest, ModelRecordsTheChoicesByName) {
  // The model file's training.options keep the names they always had.
  TrainOptions o;
  nlohmann::json defaults = training_options_json(o);
  EXPECT_EQ(defaults["optimizer"], "adam");
  EXPECT_EQ(defaults["lr_schedule"], "constant");
  EXPECT_EQ(defaults["monitor"], "valid_loss");
  o.optimizer.kind = nn::OptimizerKind::kAdamW;
  o.schedule.kind = LrScheduleKind::kPlateau;
  o.monitor = Monitor::kValidAccuracy;
  nlohmann::json j = training_options_json(o);
  EXPECT_EQ(j["optimizer"], "adamw");
  EXPECT_EQ(j["lr_schedule"], "plateau");
  EXPECT_EQ(j["monitor"], "valid_accuracy");
}

}  // namespace
}  // namespace fenlei::train
