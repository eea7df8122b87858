#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/enum_names.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::config {

enum class PoolT { mean, cls };
inline constexpr EnumNames<PoolT, 2> kPoolTNames{{{PoolT::mean, "mean"}, {PoolT::cls, "cls"}}};
constexpr const auto& enum_names(PoolT) {
  return kPoolTNames;
}

// Names that YAML would read as a bool or a number must come back as the same strings.
enum class TriT { automatic, yes, no, one };
inline constexpr EnumNames<TriT, 4> kTriTNames{
    {{TriT::automatic, "auto"}, {TriT::yes, "true"}, {TriT::no, "false"}, {TriT::one, "1"}}};
constexpr const auto& enum_names(TriT) {
  return kTriTNames;
}

struct EnumSectionT {
  PoolT pooling = PoolT::mean;
  TriT tri = TriT::automatic;
  std::optional<PoolT> maybe;
  std::vector<PoolT> list{PoolT::cls};
  template <class V>
  void visit(V& v) {
    v("pooling", pooling);
    v("tri", tri);
    v("maybe", maybe);
    v("list", list);
  }
};

// The same fields as strings with Choices: the enum version must write byte-identical YAML.
struct StringSectionT {
  std::string pooling = "mean";
  std::string tri = "auto";
  std::optional<std::string> maybe;
  std::vector<std::string> list{"cls"};
  template <class V>
  void visit(V& v) {
    v("pooling", pooling, Choices{"mean", "cls"});
    v("tri", tri, Choices{"auto", "true", "false", "1"});
    v("maybe", maybe, Choices{"mean", "cls"});
    v("list", list, Choices{"mean", "cls"});
  }
};

}  // namespace efm::config

EFM_INSTANTIATE_CONFIG(efm::config::EnumSectionT)
EFM_INSTANTIATE_CONFIG(efm::config::StringSectionT)

namespace efm::config {
namespace {

TEST(EnumConfig, NamesLookUpBothWays) {
  static_assert(enum_name(PoolT::cls) == "cls");
  static_assert(find_enum<TriT>("false") == TriT::no);
  EXPECT_FALSE(find_enum<PoolT>("max").has_value());
  EXPECT_EQ(enum_name_list<TriT>(), (std::vector<std::string>{"auto", "true", "false", "1"}));
  EXPECT_EQ(fmt::format("pooling {}", PoolT::cls), "pooling cls");
  EXPECT_EQ(parse_enum<PoolT>("mean", "x"), PoolT::mean);
}

TEST(EnumConfig, ParsesNamesIntoValues) {
  const auto e = parse_yaml<EnumSectionT>("pooling: cls\ntri: \"true\"\nmaybe: mean\nlist: [mean, cls]\n", "t.yaml");
  EXPECT_EQ(e.pooling, PoolT::cls);
  EXPECT_EQ(e.tri, TriT::yes);
  EXPECT_EQ(e.maybe, PoolT::mean);
  EXPECT_EQ(e.list, (std::vector<PoolT>{PoolT::mean, PoolT::cls}));
  // An unquoted true is the scalar "true" to the reader, as it is for a Choices string.
  EXPECT_EQ(parse_yaml<EnumSectionT>("tri: true\n", "t.yaml").tri, TriT::yes);
  EXPECT_EQ(parse_yaml<EnumSectionT>("tri: 1\n", "t.yaml").tri, TriT::one);
}

TEST(EnumConfig, UnknownNameListsAllowedValuesAsChoicesDo) {
  const std::string expected = "pooling: allowed values are 'mean', 'cls', but got 'max'";
  EXPECT_THAT([] { parse_yaml<EnumSectionT>("pooling: max\n", "t.yaml"); },
              ThrowsMessage<ConfigError>(testing::StrEq(expected)));
  EXPECT_THAT([] { parse_yaml<StringSectionT>("pooling: max\n", "t.yaml"); },
              ThrowsMessage<ConfigError>(testing::StrEq(expected)));
  EXPECT_THAT([] { parse_yaml<EnumSectionT>("list: [cls, max]\n", "t.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("list[1]: allowed values are 'mean', 'cls', but got 'max'")));
  EXPECT_THAT([] { parse_yaml<EnumSectionT>("maybe: [cls]\n", "t.yaml"); },
              ThrowsMessage<ConfigError>(HasSubstr("maybe: expected a string, got a list")));
  EXPECT_THAT([] { parse_enum<TriT>("maybe", "channels.intracranial"); },
              ThrowsMessage<ConfigError>(
                  testing::StrEq("channels.intracranial: allowed values are 'auto', 'true', 'false', '1', but got "
                                 "'maybe'")));
}

TEST(EnumConfig, WritesTheNamesByteIdenticalToStrings) {
  EnumSectionT e;
  StringSectionT s;
  EXPECT_EQ(to_yaml(e), to_yaml(s));
  for (const auto& [tri, name] : {std::pair{TriT::yes, "true"}, {TriT::no, "false"}, {TriT::one, "1"}}) {
    e.tri = tri;
    e.maybe = PoolT::cls;
    e.list = {PoolT::mean, PoolT::cls, PoolT::mean};
    s.tri = name;
    s.maybe = "cls";
    s.list = {"mean", "cls", "mean"};
    const std::string yaml = to_yaml(e);
    EXPECT_EQ(yaml, to_yaml(s));
    const auto back = parse_yaml<EnumSectionT>(yaml, "t.yaml");
    EXPECT_EQ(back.tri, tri);
    EXPECT_EQ(back.maybe, PoolT::cls);
    EXPECT_EQ(back.list, e.list);
    EXPECT_EQ(to_yaml(back), yaml);
  }
}

}  // namespace
}  // namespace efm::config
