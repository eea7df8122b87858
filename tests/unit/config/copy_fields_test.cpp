#include "epilepsyfm/config/copy_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace efm::config {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

struct Overrides {
  std::optional<double> rate;
  std::optional<std::vector<double>> notch;
  std::string name = "overrides";
  int64_t only_here = 7;
  template <class V>
  void visit(V& v) {
    v("rate", rate);
    v("notch", notch);
    v("name", name);
    v("only_here", only_here);
  }
};

struct Resolved {
  double rate = 200;
  std::vector<double> notch{50};
  std::string name = "resolved";
  std::optional<double> cutoff;
  template <class V>
  void visit(V& v) {
    v("rate", rate);
    v("notch", notch);
    v("name", name);
    v("cutoff", cutoff);
  }
};

struct Mismatched {
  std::string rate;
  template <class V>
  void visit(V& v) {
    v("rate", rate);
  }
};

TEST(CopyFields, SetOverridesReplaceAndUnsetOnesKeep) {
  Overrides o;
  o.rate = 256;
  Resolved r;
  copy_fields(o, r);
  EXPECT_EQ(r.rate, 256);
  EXPECT_EQ(r.notch, std::vector<double>{50});  // unset override: kept
  EXPECT_EQ(r.name, "overrides");               // plain -> plain
  EXPECT_FALSE(r.cutoff.has_value());           // no counterpart
}

TEST(CopyFields, PlainValuesFillOptionals) {
  Resolved r;
  r.rate = 128;
  Overrides o;
  copy_fields(r, o);
  ASSERT_TRUE(o.rate.has_value());
  EXPECT_EQ(*o.rate, 128);
  ASSERT_TRUE(o.notch.has_value());
  EXPECT_EQ(*o.notch, std::vector<double>{50});
  EXPECT_EQ(o.only_here, 7);
}

TEST(CopyFields, AKeyWithTypesThatDoNotPairIsAnError) {
  Resolved r;
  Mismatched m;
  EXPECT_THAT([&] { copy_fields(r, m); },
              ThrowsMessage<ArgumentError>(HasSubstr("copy_fields: 'rate' has types that do not pair up")));
}

}  // namespace
}  // namespace efm::config
