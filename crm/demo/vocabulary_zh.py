"""The demo's word lists in Simplified Chinese (``seed_demo --language zh-hans``): the same
names as ``vocabulary``, for a Chinese company selling office equipment at home. Companies
are named as Chinese companies are (city, trade name, line of business, legal form:
上海恒信贸易有限公司), people surname first (张伟), addresses from the city down
(上海市人民路88号). Everything is priced in yuan, so the app must run with CNY as its base
currency. Plain data, no logic.

Phone numbers use made-up 5550 exchanges; every email and website is under example.com,
spelled in pinyin (``ROMAN``)."""

from .vocabulary import (
    EMAIL_LOCAL_PARTS,
    FOREIGN_CURRENCIES,
    TAG_WEIGHTS,
    USD_VALUE,
    CampaignPlan,
    ProductSpec,
    Region,
)

__all__ = ["EMAIL_LOCAL_PARTS", "FOREIGN_CURRENCIES", "TAG_WEIGHTS", "USD_VALUE"]

# fmt: off
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
            "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "宋", "谢")
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
               "涛", "明", "超", "秀英", "霞", "平", "刚", "建华", "文", "婷", "晓东", "志强",
               "雪梅", "海燕", "俊杰", "思远", "欣怡", "子涵")
LEGAL_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")

REGIONS = (
    Region(
        "华北", 0.2, "CNY", "+86 10 5550 {:04d}", 10_000,
        ("北京", "天津", "石家庄", "太原", "保定", "唐山"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
    Region(
        "华东", 0.3, "CNY", "+86 21 5550 {:04d}", 10_000,
        ("上海", "杭州", "苏州", "南京", "宁波", "无锡", "济南", "青岛", "合肥"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
    Region(
        "华南", 0.2, "CNY", "+86 755 5550 {:04d}", 10_000,
        ("广州", "深圳", "东莞", "佛山", "厦门", "珠海"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
    Region(
        "华中", 0.12, "CNY", "+86 27 5550 {:04d}", 10_000,
        ("武汉", "长沙", "郑州", "南昌", "宜昌"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
    Region(
        "西南", 0.1, "CNY", "+86 28 5550 {:04d}", 10_000,
        ("成都", "重庆", "昆明", "贵阳", "绵阳"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
    Region(
        "东北", 0.08, "CNY", "+86 24 5550 {:04d}", 10_000,
        ("沈阳", "大连", "哈尔滨", "长春"),
        LEGAL_FORMS, GIVEN_NAMES, SURNAMES,
    ),
)

# A trade name (字号) and a line of business make a company name: 恒信 + 贸易.
COMPANY_FIRST = ("恒信", "华远", "鼎盛", "新锐", "瑞丰", "金桥", "嘉禾", "宏达", "远航", "博雅",
                 "天成", "盛世", "中科", "东方", "海川", "云帆", "卓越", "联创", "永安", "万通",
                 "汇通", "安信", "星辰", "锦程", "启明", "正泰", "德润", "同创", "华信", "明远")
COMPANY_SECOND = ("贸易", "科技", "物流", "咨询", "建筑工程", "文化传媒", "电子", "食品",
                  "医疗器械", "软件", "酒店管理", "旅行社", "汽车服务", "制药", "设计",
                  "餐饮管理", "教育科技", "纺织", "新能源", "装饰工程", "实业", "信息技术",
                  "印务", "生物科技", "网络科技")
INDUSTRIES = ("软件", "医疗健康", "零售", "制造业", "专业服务", "酒店餐饮", "教育", "物流",
              "金融", "建筑", "传媒")
STREETS = ("人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "文化路", "长江路",
           "黄河路", "科技园路", "滨江大道", "世纪大道")
# fmt: on
PERSON_NAME = "{last}{first}"
COMPANY_NAMES = (
    ("{city}{a}{b}{suffix}", ("a", "b")),  # 上海恒信贸易有限公司
    ("{a}{b}", ("a", "b")),  # 恒信贸易
    ("{a}{b}（{city}）{suffix}", ("a", "b")),  # 恒信贸易（深圳）有限公司
)
ADDRESS = "{city}市{street}{house}号"
ROMAN = {
    # surnames
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang",
    "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma",
    "朱": "zhu", "胡": "hu", "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo",
    "郑": "zheng", "梁": "liang", "宋": "song", "谢": "xie",
    # given names
    "伟": "wei", "芳": "fang", "娜": "na", "敏": "min", "静": "jing", "丽": "li", "强": "qiang",
    "磊": "lei", "军": "jun", "洋": "yang", "勇": "yong", "艳": "yan", "杰": "jie", "娟": "juan",
    "涛": "tao", "明": "ming", "超": "chao", "秀英": "xiuying", "霞": "xia", "平": "ping",
    "刚": "gang", "建华": "jianhua", "文": "wen", "婷": "ting", "晓东": "xiaodong",
    "志强": "zhiqiang", "雪梅": "xuemei", "海燕": "haiyan", "俊杰": "junjie", "思远": "siyuan",
    "欣怡": "xinyi", "子涵": "zihan",
    # trade names
    "恒信": "hengxin", "华远": "huayuan", "鼎盛": "dingsheng", "新锐": "xinrui",
    "瑞丰": "ruifeng", "金桥": "jinqiao", "嘉禾": "jiahe", "宏达": "hongda", "远航": "yuanhang",
    "博雅": "boya", "天成": "tiancheng", "盛世": "shengshi", "中科": "zhongke",
    "东方": "dongfang", "海川": "haichuan", "云帆": "yunfan", "卓越": "zhuoyue",
    "联创": "lianchuang", "永安": "yongan", "万通": "wantong", "汇通": "huitong",
    "安信": "anxin", "星辰": "xingchen", "锦程": "jincheng", "启明": "qiming",
    "正泰": "zhengtai", "德润": "derun", "同创": "tongchuang", "华信": "huaxin",
    "明远": "mingyuan",
    # lines of business
    "贸易": "trade", "科技": "tech", "物流": "logistics", "咨询": "consulting",
    "建筑工程": "construction", "文化传媒": "media", "电子": "electronics", "食品": "foods",
    "医疗器械": "medical", "软件": "soft", "酒店管理": "hotels", "旅行社": "travel",
    "汽车服务": "auto", "制药": "pharma", "设计": "design", "餐饮管理": "catering",
    "教育科技": "edu", "纺织": "textile", "新能源": "energy", "装饰工程": "decor",
    "实业": "industry", "信息技术": "it", "印务": "print", "生物科技": "bio", "网络科技": "net",
}  # fmt: skip
BASE_CURRENCY = "CNY"
CUSTOMER_LANGUAGE = "zh-hans"
USER_NAMES = {
    "admin": ("", "演示管理员"),
    "manager": ("", "演示经理"),
    "rep": ("", "演示销售"),
    "rep2": ("", "演示销售二"),
}
CONTACT_ROLES = (
    "总经理",
    "采购主管",
    "行政经理",
    "IT负责人",
    "财务总监",
    "运营经理",
    "后勤经理",
    "总经理助理",
)
CHURN_REASONS = (
    "转用竞争对手",
    "价格过高",
    "公司已停业",
    "不再需要我们的产品",
    "对交货时间不满意",
    "预算削减",
    "迁出我们的服务区域",
)
# In the order of vocabulary.TAGS, whose weights they share.
TAGS = (
    "VIP",
    "批发",
    "订阅资讯",
    "大客户",
    "合作伙伴",
    "展会",
    "大型企业",
    "中小企业",
    "教育",
    "公共部门",
)

# The same catalogue (and SKUs) as in English, priced in yuan.
PRODUCTS = (
    ProductSpec("CHR-ERG", "人体工学椅", "2499.00", 35, 45, 5, 3),
    ProductSpec("DSK-STD", "电动升降桌", "3999.00", 30, 40, 4, 1),
    ProductSpec("MON-27", "27英寸显示器", "1899.00", 20, 28, 5, 2),
    ProductSpec("LAP-STD", "笔记本支架", "299.00", 50, 60, 3, 4),
    ProductSpec("KBD-WL", "无线键盘", "499.00", 40, 50, 4, 4),
    ProductSpec("HDS-NC", "降噪耳机", "1299.00", 30, 38, 3, 4),
    ProductSpec("DCK-USBC", "USB-C扩展坞", "999.00", 35, 45, 4, 3),
    ProductSpec("CAM-HD", "高清摄像头", "599.00", 40, 50, 3, 3),
    ProductSpec("LMP-LED", "LED护眼台灯", "399.00", 45, 55, 2, 4),
    ProductSpec("CBL-KIT", "线缆套装", "129.00", 55, 60, 4, 5),
    ProductSpec("SUP-1Y", "一年技术支持服务", "799.00", 50, 60, 3, 1),
    ProductSpec("SVC-INST", "上门安装服务", "999.00", 20, 30, 2, 1),
)

# The English plans, named in Chinese; acquisition costs in yuan.
CAMPAIGNS = (
    CampaignPlan("{year}年品牌词搜索推广", "search_ads", 0, 12, True, 980, 3.0),
    CampaignPlan("{year}年新品发布网络研讨会", "email", 2, 3, False, 320, 1.5),
    CampaignPlan("{year}年办公设备博览会", "events", 5, 1, False, 2900, 2.5),
    CampaignPlan("{year}年渠道经销商计划", "partner", 8, 22, False, 1600, 1.2),
    CampaignPlan("老客户推荐有礼", "referral", 12, 0, False, 420, 1.0),
    CampaignPlan("{year}年通用词搜索推广", "search_ads", 13, 14, True, 1260, 2.5),
    CampaignPlan("{year}年春季社交媒体推广", "social", 16, 3, True, 770, 2.0),
    CampaignPlan("{year}年亚洲采购商展会", "events", 22, 1, False, 2700, 2.0),
    CampaignPlan("{year}年节日邮件营销", "email", 24, 2, False, 250, 2.0),
    CampaignPlan("{year}年社交媒体再营销", "social", 28, 8, True, 840, 2.0),
)

ACTIVITY_SUBJECTS = {
    "note": (
        "偏好邮件沟通，不喜欢电话",
        "第{quarter}季度开始做预算",
        "询问{product}的批量价格",
        "决策人：{role}",
        "对上次交货很满意",
    ),
    "call": (
        "续约沟通电话",
        "{product}跟进电话",
        "初次沟通电话",
        "延迟交货沟通电话",
        "季度回访电话",
    ),
    "email": (
        "已发送{product}报价",
        "已发送产品目录",
        "已答复{product}相关问题",
        "已发送发票副本",
    ),
    "meeting": (
        "{product}产品演示",
        "季度业务回顾",
        "实地拜访",
        "午餐会谈（{role}）",
    ),
    "task": (
        "发送{product}报价",
        "跟进未完成订单",
        "就{product}回电",
        "准备续约方案",
        "核实交货状态",
        "安排产品演示",
    ),
}
ACTIVITY_BODIES = (
    "",
    "已留言，稍后再联系。",
    "有意向，希望收到书面报价。",
    "需先经财务审批。",
    "反馈积极，可能追加订单。",
    "正在将我们与两家竞争对手比较。",
)
# In yuan: the English ranges at about seven yuan to the dollar.
COST_RANGES = {"service": (150, 2800), "marketing": (70, 1000), "other": (35, 560)}
COST_NOTES = {
    "service": ("技术支持工单", "上门维修", "补发货物", "入门培训电话"),
    "marketing": ("节日礼盒", "展会邀请", "样品套装", "客户答谢宴"),
    "other": ("支付手续费", "信用保险"),
}
