#include "synth/statistics.h"

#include <array>

namespace kangyun::synth {
namespace {

// The 100 most common surnames cover about 85% of residents; these 60 cover about 80%.
// Shares follow the Ministry of Public Security's 2020 surname report (approximate below the
// first ten).
constexpr Surname kSurnames[] = {
    {"王", "Wang", 7.12},  {"李", "Li", 7.00},    {"张", "Zhang", 6.74}, {"刘", "Liu", 5.10},
    {"陈", "Chen", 4.61},  {"杨", "Yang", 3.22},  {"黄", "Huang", 2.45}, {"赵", "Zhao", 2.19},
    {"吴", "Wu", 2.08},    {"周", "Zhou", 1.93},  {"徐", "Xu", 1.62},    {"孙", "Sun", 1.51},
    {"马", "Ma", 1.47},    {"朱", "Zhu", 1.39},   {"胡", "Hu", 1.33},    {"郭", "Guo", 1.26},
    {"何", "He", 1.21},    {"林", "Lin", 1.15},   {"高", "Gao", 1.13},   {"罗", "Luo", 1.10},
    {"郑", "Zheng", 1.05}, {"梁", "Liang", 1.00}, {"谢", "Xie", 0.84},   {"宋", "Song", 0.81},
    {"唐", "Tang", 0.80},  {"许", "Xu", 0.76},    {"韩", "Han", 0.73},   {"邓", "Deng", 0.72},
    {"冯", "Feng", 0.71},  {"曹", "Cao", 0.69},   {"彭", "Peng", 0.67},  {"曾", "Zeng", 0.66},
    {"肖", "Xiao", 0.63},  {"田", "Tian", 0.62},  {"董", "Dong", 0.61},  {"潘", "Pan", 0.59},
    {"袁", "Yuan", 0.58},  {"蔡", "Cai", 0.56},   {"蒋", "Jiang", 0.55}, {"余", "Yu", 0.54},
    {"于", "Yu", 0.53},    {"杜", "Du", 0.52},    {"叶", "Ye", 0.51},    {"程", "Cheng", 0.50},
    {"魏", "Wei", 0.49},   {"苏", "Su", 0.48},    {"吕", "Lyu", 0.47},   {"丁", "Ding", 0.46},
    {"任", "Ren", 0.45},   {"卢", "Lu", 0.44},    {"姚", "Yao", 0.43},   {"沈", "Shen", 0.42},
    {"钟", "Zhong", 0.41}, {"姜", "Jiang", 0.40}, {"崔", "Cui", 0.39},   {"谭", "Tan", 0.38},
    {"陆", "Lu", 0.37},    {"范", "Fan", 0.36},   {"汪", "Wang", 0.35},  {"廖", "Liao", 0.34},
};

// Characters common in given names, with the homophones a clerk may type instead.
constexpr GivenNameChar kGivenNameChars[] = {
    {"伟", "wei", 'M', "玮炜"},  {"强", "qiang", 'M', "蔷"},  {"磊", "lei", 'M', "蕾"},
    {"军", "jun", 'M', "君钧"},  {"勇", "yong", 'M', "永"},   {"杰", "jie", 'M', "洁"},
    {"涛", "tao", 'M', "韬"},    {"明", "ming", 'M', "鸣铭"}, {"超", "chao", 'M', ""},
    {"刚", "gang", 'M', "钢"},   {"平", "ping", 'U', "萍"},   {"辉", "hui", 'M', "晖"},
    {"鹏", "peng", 'M', "朋"},   {"华", "hua", 'U', "桦"},    {"飞", "fei", 'M', "菲"},
    {"斌", "bin", 'M', "彬"},    {"宇", "yu", 'M', "雨羽"},   {"浩", "hao", 'M', "昊"},
    {"凯", "kai", 'M', "恺"},    {"健", "jian", 'M', "建剑"}, {"俊", "jun", 'M', "峻"},
    {"峰", "feng", 'M', "锋"},   {"志", "zhi", 'M', "智"},    {"国", "guo", 'M', ""},
    {"建", "jian", 'M', "健剑"}, {"文", "wen", 'U', "雯"},    {"海", "hai", 'M', ""},
    {"东", "dong", 'M', "冬"},   {"林", "lin", 'U', "琳霖"},  {"成", "cheng", 'M', "诚"},
    {"子", "zi", 'U', "梓"},     {"轩", "xuan", 'M', "萱"},   {"博", "bo", 'M', "波"},
    {"涵", "han", 'U', "晗"},    {"宏", "hong", 'M', "红鸿"}, {"德", "de", 'M', ""},
    {"芳", "fang", 'F', "方"},   {"娜", "na", 'F', ""},       {"敏", "min", 'F', "民"},
    {"静", "jing", 'F', "婧靖"}, {"丽", "li", 'F', "莉俐"},   {"艳", "yan", 'F', "燕"},
    {"娟", "juan", 'F', "鹃"},   {"霞", "xia", 'F', ""},      {"秀", "xiu", 'F', ""},
    {"玲", "ling", 'F', "琳"},   {"桂", "gui", 'F', ""},      {"英", "ying", 'F', "瑛"},
    {"婷", "ting", 'F', "亭"},   {"雪", "xue", 'F', ""},      {"慧", "hui", 'F', "惠"},
    {"琳", "lin", 'F', "林霖"},  {"颖", "ying", 'F', "莹"},   {"倩", "qian", 'F', "茜"},
    {"欣", "xin", 'F', "馨"},    {"佳", "jia", 'U', "嘉"},    {"怡", "yi", 'F', "仪"},
    {"梅", "mei", 'F', "玫"},    {"红", "hong", 'F', "虹"},   {"兰", "lan", 'F', "岚"},
    {"晶", "jing", 'F', "菁"},   {"萍", "ping", 'F', "平"},   {"琴", "qin", 'F', "芹"},
    {"云", "yun", 'U', "芸"},    {"玉", "yu", 'F', "钰"},     {"瑶", "yao", 'F', "遥"},
    {"悦", "yue", 'F', "月"},    {"思", "si", 'U', ""},       {"雨", "yu", 'U', "宇"},
};

// 7th national census (2020), five-year bands. The published anchors are 0-14: 17.95%,
// 15-59: 63.35%, 60 and over: 18.70%, 65 and over: 13.50%; the bands between follow the
// census table, rounded.
constexpr AgeBand kAgePyramid[] = {
    {0, 4, 5.44},   {5, 9, 6.36},   {10, 14, 6.14}, {15, 19, 5.26}, {20, 24, 5.29}, {25, 29, 6.63},
    {30, 34, 8.81}, {35, 39, 6.93}, {40, 44, 6.63}, {45, 49, 8.23}, {50, 54, 8.53}, {55, 59, 7.04},
    {60, 64, 5.20}, {65, 69, 5.41}, {70, 74, 3.62}, {75, 79, 2.19}, {80, 84, 1.40}, {85, 99, 0.88},
};

// Chengdu (成都市), by GB/T 2260 code; shares of the resident population approximate the
// 7th census district figures.
constexpr District kDistricts[] = {
    {"510104", "锦江区", "Jinjiang", 4.2, true},
    {"510105", "青羊区", "Qingyang", 4.7, true},
    {"510106", "金牛区", "Jinniu", 6.0, true},
    {"510107", "武侯区", "Wuhou", 6.4, true},
    {"510108", "成华区", "Chenghua", 6.6, true},
    {"510112", "龙泉驿区", "Longquanyi", 6.3, true},
    {"510113", "青白江区", "Qingbaijiang", 2.3, false},
    {"510114", "新都区", "Xindu", 7.4, true},
    {"510115", "温江区", "Wenjiang", 4.3, true},
    {"510116", "双流区", "Shuangliu", 7.8, true},
    {"510117", "郫都区", "Pidu", 6.7, true},
    {"510118", "新津区", "Xinjin", 1.8, false},
    {"510121", "金堂县", "Jintang", 3.8, false},
    {"510129", "大邑县", "Dayi", 2.4, false},
    {"510131", "蒲江县", "Pujiang", 1.2, false},
    {"510181", "都江堰市", "Dujiangyan", 3.3, false},
    {"510182", "彭州市", "Pengzhou", 3.7, false},
    {"510183", "邛崃市", "Qionglai", 2.9, false},
    {"510184", "崇州市", "Chongzhou", 3.5, false},
    {"510185", "简阳市", "Jianyang", 5.3, false},
};

// Prevalences. Hypertension, diabetes and dyslipidaemia: Report on Nutrition and Chronic
// Diseases of Chinese Residents (2020), adults 18+. COPD: China Pulmonary Health study
// (Lancet 2018), 40+. CKD: China Chronic Disease and Risk Factor Surveillance 2018-19.
// Asthma: China Adult Lung Health study (Lancet 2019), 20+. Depression (12-month): China
// Mental Health Survey (Lancet Psychiatry 2019). Others as in docs/synthetic-city.md.
constexpr ChronicCondition kChronicConditions[] = {
    {"I10", "原发性高血压", "Essential (primary) hypertension", 0.275, 18, 0.055, false},
    {"E11.9", "2型糖尿病", "Type 2 diabetes mellitus without complications", 0.119, 18, 0.045,
     false},
    {"E78.5", "高脂血症", "Hyperlipidaemia, unspecified", 0.356, 18, 0.02, false},
    {"J44.9", "慢性阻塞性肺疾病", "Chronic obstructive pulmonary disease, unspecified", 0.137, 40,
     0.05, false},
    {"N18.9", "慢性肾脏病", "Chronic kidney disease, unspecified", 0.082, 18, 0.04, false},
    {"I25.1", "冠状动脉粥样硬化性心脏病", "Atherosclerotic heart disease", 0.012, 18, 0.08, false},
    {"I63.9", "脑梗死", "Cerebral infarction, unspecified", 0.026, 40, 0.07, false},
    {"J45.9", "哮喘", "Asthma, unspecified", 0.042, 20, 0.01, false},
    {"F32.9", "抑郁发作", "Depressive episode, unspecified", 0.036, 18, 0.0, true},
    {"B18.1", "慢性乙型病毒性肝炎", "Chronic viral hepatitis B without delta-agent", 0.059, 18, 0.0,
     false},
    {"B24", "人类免疫缺陷病毒病", "Unspecified human immunodeficiency virus disease", 0.001, 18,
     0.0, true},
};

// 医疗机构诊疗科目名录 (catalogue of clinical departments of medical institutions).
constexpr Department kDepartments[] = {
    {"02", "全科医疗科", "General practice"},
    {"03", "内科", "Internal medicine"},
    {"04", "外科", "Surgery"},
    {"05", "妇产科", "Obstetrics and gynaecology"},
    {"07", "儿科", "Paediatrics"},
    {"10", "眼科", "Ophthalmology"},
    {"12", "口腔科", "Stomatology"},
    {"20", "急诊医学科", "Emergency medicine"},
    {"30", "医学检验科", "Laboratory medicine"},
    {"32", "医学影像科", "Medical imaging"},
    {"50", "中医科", "Traditional Chinese medicine"},
};

// The national immunisation programme schedule (国家免疫规划疫苗儿童免疫程序), first doses.
constexpr Vaccine kChildVaccines[] = {
    {"08", "Hep B, adolescent or pediatric", "乙肝疫苗", 0},
    {"19", "BCG", "卡介苗", 0},
    {"08", "Hep B, adolescent or pediatric", "乙肝疫苗", 1},
    {"10", "IPV", "脊灰灭活疫苗", 2},
    {"20", "DTaP", "百白破疫苗", 3},
    {"20", "DTaP", "百白破疫苗", 4},
    {"20", "DTaP", "百白破疫苗", 5},
    {"08", "Hep B, adolescent or pediatric", "乙肝疫苗", 6},
    {"03", "MMR", "麻腮风疫苗", 8},
    {"03", "MMR", "麻腮风疫苗", 18},
    {"20", "DTaP", "百白破疫苗", 18},
};

constexpr const char* kMobilePrefixes[] = {"130", "131", "132", "133", "135", "136", "137",
                                           "138", "139", "150", "151", "152", "153", "155",
                                           "156", "158", "159", "177", "180", "181", "182",
                                           "183", "185", "186", "187", "188", "189", "199"};

constexpr const char* kStreetNames[] = {"人民南路", "人民北路", "蜀都大道", "天府大道", "红星路",
                                        "建设路",   "春熙路",   "光华大道", "一环路",   "二环路",
                                        "府青路",   "玉林路",   "双楠路",   "沙湾路",   "龙腾路",
                                        "望江路",   "新华大道", "金府路",   "星辉路",   "长顺街"};

}  // namespace

std::span<const Surname> Surnames() { return kSurnames; }
std::span<const GivenNameChar> GivenNameChars() { return kGivenNameChars; }
std::span<const AgeBand> AgePyramid() { return kAgePyramid; }
std::span<const District> Districts() { return kDistricts; }
std::span<const ChronicCondition> ChronicConditions() { return kChronicConditions; }
std::span<const Department> Departments() { return kDepartments; }
std::span<const Vaccine> ChildVaccines() { return kChildVaccines; }
std::span<const char* const> MobilePrefixes() { return kMobilePrefixes; }
std::span<const char* const> StreetNames() { return kStreetNames; }

}  // namespace kangyun::synth
