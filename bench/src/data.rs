//! Realistic, deterministic customers: Chinese and international people and companies, with unique
//! emails and phones, addresses, tags, stages, owners and creation times spread over two years.
//!
//! Every value goes through the domain's own types (`Email`, `Phone`, `NewCustomer`), so a
//! generated customer is one the API would have accepted and stored the same way.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_domain::customers::{
    Address, ConsentInput, Customer, CustomerKind, Gender, LifecycleStage, NewCustomer,
};
use rapport_domain::values::{Email, Phone};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Common Chinese surnames with their pinyin, most frequent first.
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("邓", "deng"),
    ("韩", "han"),
    ("冯", "feng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
    ("蔡", "cai"),
    ("蒋", "jiang"),
    ("余", "yu"),
    ("于", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("苏", "su"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("卢", "lu"),
    ("姚", "yao"),
    ("沈", "shen"),
    ("钟", "zhong"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("范", "fan"),
    ("汪", "wang"),
    ("廖", "liao"),
    ("石", "shi"),
    ("金", "jin"),
    ("韦", "wei"),
    ("贾", "jia"),
    ("夏", "xia"),
    ("方", "fang"),
    ("邹", "zou"),
    ("熊", "xiong"),
    ("白", "bai"),
    ("孟", "meng"),
    ("秦", "qin"),
    ("邱", "qiu"),
    ("侯", "hou"),
    ("江", "jiang"),
    ("尹", "yin"),
    ("薛", "xue"),
    ("段", "duan"),
    ("雷", "lei"),
    ("龙", "long"),
    ("史", "shi"),
    ("陶", "tao"),
    ("贺", "he"),
    ("毛", "mao"),
    ("顾", "gu"),
    ("邵", "shao"),
    ("钱", "qian"),
    ("戴", "dai"),
    ("严", "yan"),
    ("欧阳", "ouyang"),
    ("司马", "sima"),
    ("诸葛", "zhuge"),
];

/// Characters common in Chinese given names, with their pinyin.
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀", "xiu"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("萍", "ping"),
    ("红", "hong"),
    ("建", "jian"),
    ("文", "wen"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("欣", "xin"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("晨", "chen"),
    ("梓", "zi"),
    ("涵", "han"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("一", "yi"),
    ("诺", "nuo"),
    ("睿", "rui"),
    ("博", "bo"),
    ("思", "si"),
    ("佳", "jia"),
    ("怡", "yi"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("志", "zhi"),
    ("国", "guo"),
    ("海", "hai"),
    ("晓", "xiao"),
    ("春", "chun"),
    ("雨", "yu"),
    ("欢", "huan"),
    ("慧", "hui"),
    ("燕", "yan"),
    ("颖", "ying"),
    ("天", "tian"),
    ("泽", "ze"),
    ("宁", "ning"),
    ("安", "an"),
    ("然", "ran"),
    ("彤", "tong"),
    ("昊", "hao"),
    ("瑞", "rui"),
    ("鑫", "xin"),
    ("凯", "kai"),
    ("丹", "dan"),
    ("倩", "qian"),
    ("琪", "qi"),
    ("薇", "wei"),
    ("晶", "jing"),
    ("阳", "yang"),
    ("成", "cheng"),
    ("亮", "liang"),
    ("斌", "bin"),
    ("飞", "fei"),
];

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Sarah",
    "Emma",
    "Olivia",
    "Liam",
    "Noah",
    "Sophia",
    "Lucas",
    "Mia",
    "Hannah",
    "Lukas",
    "Anna",
    "Leon",
    "Marie",
    "Felix",
    "Sofia",
    "Mateo",
    "Lucía",
    "Santiago",
    "Valentina",
    "Pierre",
    "Camille",
    "Louis",
    "Chloé",
    "Hiroshi",
    "Yuki",
    "Haruto",
    "Sakura",
    "Min-jun",
    "Ji-woo",
    "Arjun",
    "Priya",
    "Rahul",
    "Ananya",
    "Mohammed",
    "Fatima",
    "Omar",
    "Aisha",
    "Ivan",
    "Olga",
    "Dmitri",
    "Natalia",
    "Giulia",
    "Marco",
    "Lars",
    "Ingrid",
    "Siobhan",
    "Kwame",
    "Amara",
    "Thanh",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Martin",
    "Bernard",
    "Dubois",
    "Rossi",
    "Russo",
    "Ferrari",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Takahashi",
    "Kim",
    "Lee",
    "Park",
    "Nguyen",
    "Tran",
    "Patel",
    "Sharma",
    "Singh",
    "Kumar",
    "Hassan",
    "Ali",
    "Ivanov",
    "Petrov",
    "Novak",
    "Kowalski",
    "Andersson",
    "Johansson",
    "Hansen",
    "O'Brien",
    "Murphy",
    "da Silva",
    "Santos",
    "Pereira",
    "Tan",
    "Lim",
    "Wong",
    "Mensah",
    "Okafor",
];

/// Chinese cities: province, city, districts, first three digits of the postal code.
const CN_CITIES: &[(&str, &str, &[&str], u32)] = &[
    (
        "上海市",
        "上海市",
        &["浦东新区", "黄浦区", "徐汇区", "静安区", "长宁区", "闵行区"],
        200,
    ),
    (
        "北京市",
        "北京市",
        &["朝阳区", "海淀区", "东城区", "西城区", "丰台区"],
        100,
    ),
    (
        "广东省",
        "广州市",
        &["天河区", "越秀区", "海珠区", "番禺区"],
        510,
    ),
    (
        "广东省",
        "深圳市",
        &["南山区", "福田区", "罗湖区", "宝安区", "龙岗区"],
        518,
    ),
    (
        "浙江省",
        "杭州市",
        &["西湖区", "上城区", "拱墅区", "滨江区", "余杭区"],
        310,
    ),
    (
        "江苏省",
        "南京市",
        &["玄武区", "鼓楼区", "秦淮区", "建邺区"],
        210,
    ),
    ("江苏省", "苏州市", &["姑苏区", "吴中区", "虎丘区"], 215),
    (
        "四川省",
        "成都市",
        &["锦江区", "青羊区", "武侯区", "成华区"],
        610,
    ),
    ("湖北省", "武汉市", &["江汉区", "武昌区", "洪山区"], 430),
    ("陕西省", "西安市", &["雁塔区", "碑林区", "未央区"], 710),
    ("重庆市", "重庆市", &["渝中区", "江北区", "南岸区"], 400),
    ("天津市", "天津市", &["和平区", "河西区", "南开区"], 300),
    ("福建省", "厦门市", &["思明区", "湖里区"], 361),
    ("山东省", "青岛市", &["市南区", "市北区", "崂山区"], 266),
    ("湖南省", "长沙市", &["岳麓区", "芙蓉区", "天心区"], 410),
    ("辽宁省", "沈阳市", &["和平区", "沈河区", "皇姑区"], 110),
];

const CN_ROADS: &[&str] = &[
    "人民", "中山", "解放", "建设", "南京", "长江", "和平", "新华", "世纪", "淮海", "文化", "学院",
    "滨江", "环城", "青年", "延安",
];
const CN_ROAD_KINDS: &[&str] = &["路", "大道", "街"];

/// International cities: country code, province or state, city, postal code shape
/// (`9` a digit, `A` a letter).
const WORLD_CITIES: &[(&str, Option<&str>, &str, &str)] = &[
    ("US", Some("California"), "San Francisco", "941999"),
    ("US", Some("New York"), "New York", "100999"),
    ("US", Some("Texas"), "Austin", "787999"),
    ("US", Some("Washington"), "Seattle", "981999"),
    ("GB", Some("England"), "London", "AA9 9AA"),
    ("GB", Some("England"), "Manchester", "M99 9AA"),
    ("GB", Some("Scotland"), "Edinburgh", "EH9 9AA"),
    ("DE", Some("Berlin"), "Berlin", "10999"),
    ("DE", Some("Bayern"), "München", "80999"),
    ("DE", Some("Hamburg"), "Hamburg", "20999"),
    ("FR", Some("Île-de-France"), "Paris", "75099"),
    ("FR", Some("Auvergne-Rhône-Alpes"), "Lyon", "69009"),
    ("JP", Some("Tokyo"), "Shibuya", "150-0099"),
    ("JP", Some("Osaka"), "Osaka", "530-0099"),
    ("SG", None, "Singapore", "999999"),
    ("AU", Some("New South Wales"), "Sydney", "2099"),
    ("AU", Some("Victoria"), "Melbourne", "3099"),
    ("CA", Some("Ontario"), "Toronto", "M9A 9A9"),
    ("CA", Some("British Columbia"), "Vancouver", "V9A 9A9"),
    ("HK", None, "Hong Kong", ""),
];

const WORLD_STREETS: &[&str] = &[
    "Main", "Oak", "Maple", "Park", "High", "Station", "Church", "Market", "King", "Queen",
    "Harbour", "River", "Garden", "Victoria", "Mill",
];
const WORLD_STREET_KINDS: &[&str] = &["Street", "Road", "Avenue", "Lane", "Way"];

/// Phone formats: country prefix, then how many random digits precede the eight unique ones.
const WORLD_PHONES: &[(&str, usize)] = &[
    ("+1 ", 2),
    ("+44 20 ", 0),
    ("+49 30 ", 1),
    ("+33 6 ", 0),
    ("+81 90 ", 0),
    ("+65 ", 0),
    ("+61 4 ", 0),
    ("+852 ", 0),
];

const DOMAINS_CN: &[&str] = &["example.cn", "mail.example.cn", "example.com.cn"];
const DOMAINS_WORLD: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
];

const CN_COMPANY_CITIES: &[&str] = &[
    "上海", "北京", "深圳", "杭州", "广州", "苏州", "成都", "南京", "武汉", "厦门",
];
const CN_INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "电子",
    "食品",
    "物流",
    "服饰",
    "医药",
    "文化传媒",
    "建材",
    "餐饮管理",
    "网络科技",
    "进出口",
];
const WORLD_COMPANY_WORDS: &[&str] = &[
    "Trading",
    "Logistics",
    "Foods",
    "Systems",
    "Consulting",
    "Electronics",
    "Retail",
    "Partners",
    "Labs",
    "Design",
];
const WORLD_COMPANY_SUFFIXES: &[&str] = &[
    "Ltd",
    "GmbH",
    "Inc.",
    "LLC",
    "Pte. Ltd.",
    "S.A.S.",
    "Pty Ltd",
    "Co.",
];
const COMPANY_MAILBOXES: &[&str] = &["info", "sales", "contact", "purchasing", "hello"];

/// The small tag vocabulary; a customer carries 0 to 3 of them.
pub const TAGS: &[&str] = &[
    "vip",
    "新客",
    "回头客",
    "wholesale",
    "newsletter",
    "high_value",
    "b2b",
    "企业客户",
    "潜在流失",
    "event_2025",
    "wechat_group",
    "price_sensitive",
];

const SOURCES: &[&str] = &[
    "taobao",
    "jd",
    "wechat",
    "store",
    "website",
    "referral",
    "trade_show",
];
const EXTERNAL_ID_PREFIXES: &[(&str, &str)] = &[("taobao", "TB"), ("jd", "JD"), ("wechat", "WX")];
const CHANNELS: &[&str] = &["web", "wechat", "store", "sms", "email"];
const NOTES: &[&str] = &[
    "老客户推荐",
    "Prefers contact by email",
    "需要开具增值税专用发票",
    "Met at the trade show in Shanghai",
    "VIP 客户，优先处理",
    "Asked for a quote on bulk orders",
    "周末不方便接电话",
    "Invoice to the Hong Kong office",
];
const MEMBERSHIP_LEVELS: &[&str] = &["bronze", "silver", "gold", "platinum"];

/// Makes customers number by number; the same seed, settings and numbers give the same customers.
pub struct Generator {
    rng: StdRng,
    owners: Vec<Uuid>,
    start: DateTime<Utc>,
    span_micros: i64,
    total: u64,
    offset: u64,
    permute_add: u64,
}

/// Eight decimal digits per number: a bijection on `0..10^8`, so unique numbers stay unique while
/// the digits look random.
const UNIQUE_SPACE: u64 = 100_000_000;
const PERMUTE_MUL: u64 = 48_271;

impl Generator {
    /// A generator for `total` customers numbered from `offset`, created between `until - 2 years`
    /// and `until`, owned round the `owners`.
    pub fn new(
        seed: u64,
        owners: Vec<Uuid>,
        until: DateTime<Utc>,
        total: u64,
        offset: u64,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let permute_add = rng.random_range(0..UNIQUE_SPACE);
        let span = Duration::days(730);
        Self {
            rng,
            owners,
            start: until - span,
            span_micros: span.num_microseconds().unwrap_or(i64::MAX),
            total: total.max(1),
            offset,
            permute_add,
        }
    }

    /// The most customers the unique emails and phones allow.
    pub const CAPACITY: u64 = UNIQUE_SPACE;

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    /// Picks from a list ordered most frequent first, favouring the front.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 ≤ u² × len < len
    fn pick_skewed<T: Copy>(&mut self, items: &[T]) -> T {
        let u: f64 = self.rng.random();
        let index = (u * u * items.len() as f64) as usize;
        items[index.min(items.len() - 1)]
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    /// The eight unique digits of customer number `n`.
    fn unique_digits(&self, n: u64) -> String {
        format!(
            "{:08}",
            (n.wrapping_mul(PERMUTE_MUL) + self.permute_add) % UNIQUE_SPACE
        )
    }

    /// Customer number `i` of this run (counted from 0); the generator must be called in order.
    #[allow(clippy::cast_possible_truncation)] // a fraction of two years in microseconds fits
    pub fn customer(&mut self, i: u64) -> Customer {
        let n = self.offset + i;
        // Creation times grow with the number, as rows arrive in a real system, with jitter.
        let jitter: f64 = self.rng.random();
        let fraction = (i as f64 + jitter) / self.total as f64;
        let micros = (fraction * self.span_micros as f64) as i64;
        let created_at = self.start + Duration::microseconds(micros);
        let id = uuid::Builder::from_unix_timestamp_millis(
            u64::try_from(created_at.timestamp_millis()).unwrap_or_default(),
            &self.rng.random::<[u8; 10]>(),
        )
        .into_uuid();

        let kind = if self.rng.random_bool(0.15) {
            CustomerKind::Company
        } else {
            CustomerKind::Individual
        };
        let chinese = self.rng.random_bool(0.65);
        let unique = self.unique_digits(n);
        let (name, local, gender) = match (kind, chinese) {
            (CustomerKind::Individual, true) => self.chinese_person(n),
            (CustomerKind::Individual, false) => self.world_person(n),
            (CustomerKind::Company, true) => self.chinese_company(n),
            (CustomerKind::Company, false) => self.world_company(n),
        };
        let domain = if chinese {
            self.pick(DOMAINS_CN)
        } else {
            self.pick(DOMAINS_WORLD)
        };
        let email = (!self.rng.random_bool(0.08))
            .then(|| Email::parse("email", &format!("{local}@{domain}")).ok())
            .flatten();
        let phone_text = if chinese {
            let third = self.pick(&['3', '5', '7', '8', '9']);
            let fourth = self.digits(1);
            format!("+86 1{third}{fourth} {} {}", &unique[..4], &unique[4..])
        } else {
            let (prefix, extra) = self.pick(WORLD_PHONES);
            let extra = self.digits(extra);
            format!("{prefix}{extra}{} {}", &unique[..4], &unique[4..])
        };
        let phone = (!self.rng.random_bool(0.05))
            .then(|| Phone::parse("phone", &phone_text).ok())
            .flatten();
        let abroad = self.rng.random_bool(if chinese { 0.1 } else { 0.85 });
        let address = if self.rng.random_bool(0.1) {
            Address::default()
        } else if abroad {
            self.world_address()
        } else {
            self.chinese_address()
        };
        let birthday = (kind == CustomerKind::Individual && self.rng.random_bool(0.6))
            .then(|| {
                NaiveDate::from_ymd_opt(1950, 1, 1).and_then(|d| {
                    d.checked_add_days(chrono::Days::new(self.rng.random_range(0..20_500)))
                })
            })
            .flatten();
        let source = (!self.rng.random_bool(0.2)).then(|| self.pick(SOURCES));
        let external_id = source.and_then(|s| {
            EXTERNAL_ID_PREFIXES
                .iter()
                .find(|(name, _)| *name == s)
                .map(|(_, prefix)| format!("{prefix}{n:010}"))
        });
        let stage = {
            let u: f64 = self.rng.random();
            match u {
                u if u < 0.30 => LifecycleStage::Lead,
                u if u < 0.50 => LifecycleStage::Prospect,
                u if u < 0.85 => LifecycleStage::Customer,
                u if u < 0.95 => LifecycleStage::Inactive,
                _ => LifecycleStage::Churned,
            }
        };
        let tag_count = {
            let u: f64 = self.rng.random();
            match u {
                u if u < 0.35 => 0,
                u if u < 0.70 => 1,
                u if u < 0.90 => 2,
                _ => 3,
            }
        };
        let mut tags: Vec<String> = Vec::with_capacity(tag_count);
        while tags.len() < tag_count {
            let tag = self.pick_skewed(TAGS);
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        let owner_id = (!self.owners.is_empty())
            .then(|| self.owners[self.rng.random_range(0..self.owners.len())]);
        let marketing_consent = {
            let u: f64 = self.rng.random();
            if u < 0.4 {
                Some(ConsentInput {
                    opted_in: true,
                    channel: Some(self.pick(CHANNELS).to_owned()),
                })
            } else if u < 0.5 {
                Some(ConsentInput {
                    opted_in: false,
                    channel: Some(self.pick(CHANNELS).to_owned()),
                })
            } else {
                None
            }
        };
        let notes = self
            .rng
            .random_bool(0.08)
            .then(|| self.pick(NOTES).to_owned());
        let mut custom_fields = Map::new();
        if self.rng.random_bool(0.15) {
            custom_fields.insert(
                "membership_level".into(),
                Value::from(self.pick(MEMBERSHIP_LEVELS)),
            );
        }
        if self.rng.random_bool(0.05) {
            let handle = self.digits(10);
            custom_fields.insert("wechat_id".into(), Value::from(format!("wxid_{handle}")));
        }

        NewCustomer {
            kind,
            name,
            email,
            phone,
            gender,
            birthday,
            address,
            source: source.map(str::to_owned),
            lifecycle_stage: stage,
            tags,
            owner_id,
            external_id,
            marketing_consent,
            notes,
            custom_fields,
        }
        .into_customer(id, created_at)
    }

    fn gender(&mut self, female_share: f64) -> Option<Gender> {
        let u: f64 = self.rng.random();
        if u < 0.12 {
            None
        } else if u < 0.13 {
            Some(Gender::Other)
        } else if self.rng.random_bool(female_share) {
            Some(Gender::Female)
        } else {
            Some(Gender::Male)
        }
    }

    fn chinese_person(&mut self, n: u64) -> (String, String, Option<Gender>) {
        let (family, family_pinyin) = self.pick_skewed(SURNAMES);
        let (first, first_pinyin) = self.pick(GIVEN);
        let (name, given_pinyin) = if self.rng.random_bool(0.7) {
            let (second, second_pinyin) = self.pick(GIVEN);
            (
                format!("{family}{first}{second}"),
                format!("{first_pinyin}{second_pinyin}"),
            )
        } else {
            (format!("{family}{first}"), first_pinyin.to_owned())
        };
        let local = match self.rng.random_range(0..3) {
            0 => format!("{given_pinyin}.{family_pinyin}{n}"),
            1 => format!("{family_pinyin}{given_pinyin}{n}"),
            _ => format!("{family_pinyin}.{given_pinyin}{n}"),
        };
        (name, local, self.gender(0.5))
    }

    fn world_person(&mut self, n: u64) -> (String, String, Option<Gender>) {
        let first = self.pick(FIRST_NAMES);
        let last = self.pick(LAST_NAMES);
        let local = match self.rng.random_range(0..3) {
            0 => format!("{}.{}{n}", ascii_fold(first), ascii_fold(last)),
            1 => format!("{}{}{n}", &ascii_fold(first)[..1], ascii_fold(last)),
            _ => format!("{}{n}", ascii_fold(first)),
        };
        (format!("{first} {last}"), local, self.gender(0.5))
    }

    fn chinese_company(&mut self, n: u64) -> (String, String, Option<Gender>) {
        let city = self.pick(CN_COMPANY_CITIES);
        let (a, _) = self.pick(GIVEN);
        let (b, _) = self.pick(GIVEN);
        let industry = self.pick(CN_INDUSTRIES);
        let mailbox = self.pick(COMPANY_MAILBOXES);
        (
            format!("{city}{a}{b}{industry}有限公司"),
            format!("{mailbox}{n}"),
            None,
        )
    }

    fn world_company(&mut self, n: u64) -> (String, String, Option<Gender>) {
        let last = self.pick(LAST_NAMES);
        let word = self.pick(WORLD_COMPANY_WORDS);
        let suffix = self.pick(WORLD_COMPANY_SUFFIXES);
        let mailbox = self.pick(COMPANY_MAILBOXES);
        (
            format!("{last} {word} {suffix}"),
            format!("{mailbox}{n}"),
            None,
        )
    }

    fn chinese_address(&mut self) -> Address {
        let (province, city, districts, postal) = self.pick(CN_CITIES);
        let district = self.pick(districts);
        let road = self.pick(CN_ROADS);
        let road_kind = self.pick(CN_ROAD_KINDS);
        let number = self.rng.random_range(1..2000);
        let postal_code = format!("{postal}{:03}", self.rng.random_range(0..1000));
        let street = if self.rng.random_bool(0.3) {
            format!(
                "{road}{road_kind} {number} 号 {} 室",
                self.rng.random_range(101..3300)
            )
        } else {
            format!("{road}{road_kind} {number} 号")
        };
        Address {
            country: Some("CN".into()),
            province: Some(province.into()),
            city: Some(city.into()),
            district: Some(district.into()),
            street: Some(street),
            postal_code: Some(postal_code),
        }
    }

    fn world_address(&mut self) -> Address {
        let (country, province, city, shape) = self.pick(WORLD_CITIES);
        let street_name = self.pick(WORLD_STREETS);
        let kind = self.pick(WORLD_STREET_KINDS);
        let number = self.rng.random_range(1..500);
        let street = match country {
            "DE" => format!("{street_name}straße {number}"),
            "FR" => format!("{number} rue du {street_name}"),
            _ => format!("{number} {street_name} {kind}"),
        };
        let postal_code: String = shape
            .chars()
            .map(|c| match c {
                '9' => char::from(b'0' + self.rng.random_range(0..10u8)),
                'A' => char::from(b'A' + self.rng.random_range(0..26u8)),
                other => other,
            })
            .collect();
        Address {
            country: Some(country.into()),
            province: province.map(str::to_owned),
            city: Some(city.into()),
            district: None,
            street: Some(street),
            postal_code: (!postal_code.is_empty()).then_some(postal_code),
        }
    }
}

/// Lower-case ASCII letters of a name, for the local part of an email address.
fn ascii_fold(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ó' | 'ò' | 'ô' | 'ö' => Some('o'),
            'ú' | 'ù' | 'û' | 'ü' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn until() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_same_seed_gives_the_same_customers() {
        let owners = vec![Uuid::nil()];
        let mut a = Generator::new(7, owners.clone(), until(), 100, 0);
        let mut b = Generator::new(7, owners, until(), 100, 0);
        for i in 0..100 {
            assert_eq!(a.customer(i), b.customer(i));
        }
    }

    #[test]
    fn emails_phones_and_ids_are_unique_and_times_grow() {
        let mut g = Generator::new(1, vec![], until(), 20_000, 0);
        let (mut emails, mut phones, mut ids) = (HashSet::new(), HashSet::new(), HashSet::new());
        let mut last = None;
        for i in 0..20_000 {
            let c = g.customer(i);
            if let Some(e) = &c.email {
                assert!(emails.insert(e.as_str().to_owned()), "{e}");
            }
            if let Some(p) = &c.phone {
                assert!(phones.insert(p.as_str().to_owned()), "{p}");
            }
            assert!(ids.insert(c.id));
            assert_eq!(c.id.get_version_num(), 7);
            assert!(c.created_at <= until() && c.created_at > until() - Duration::days(731));
            assert!(last.is_none_or(|t| t <= c.created_at));
            last = Some(c.created_at);
            assert!(c.tags.len() <= 3);
            assert_eq!(c.version, 1);
        }
        assert!(emails.len() > 17_000 && phones.len() > 18_000);
    }

    #[test]
    fn names_fold_to_ascii_for_email() {
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("Müller"), "muller");
        assert_eq!(ascii_fold("da Silva"), "dasilva");
    }
}
