"""Fixed Chinese vocabulary of the demo township: places, names, drugs, topics, schedule.

Plain data only, so that the generators read as logic. Scalar enumerations stored in
typed columns use short English codes (like `mode` and `status` in the models); lists,
addresses and free text are in Chinese, as a village doctor would write them.
"""
from __future__ import annotations

COUNTY = ("511921", "通江县")
TOWNSHIP = ("101", "青峰镇", "青峰镇中心卫生院")
REFERRAL_HOSPITAL = "通江县人民医院"
VACCINATION_UNIT = "青峰镇中心卫生院预防接种门诊"

# (code, name, target residents, number of 组, dominant surnames). Sichuan villages are
# often clan villages, so a few surnames dominate each one.
VILLAGES = (
    ("001", "龙泉村", 640, 8, "李王"),
    ("002", "石板村", 540, 7, "张陈"),
    ("003", "青杠村", 460, 6, "王何"),
    ("004", "柏树村", 680, 8, "刘杨"),
    ("005", "桂花村", 380, 5, "陈罗"),
    ("006", "双河村", 560, 7, "赵李"),
    ("007", "白果村", 420, 6, "黄周"),
    ("008", "黄桷村", 600, 8, "吴徐"),
    ("009", "金竹村", 340, 5, "孙马"),
    ("010", "凉水村", 480, 6, "胡朱"),
    ("011", "大田村", 530, 7, "郭林"),
    ("012", "新房村", 370, 5, "何高"),
)

# (username, full name, indexes into VILLAGES, diligence). Four villages have two
# doctors; doctor13 also covers 新房村, which has a clinic but no doctor of its own.
DOCTORS = (
    ("doctor01", "李德明", (0,), "diligent"),
    ("doctor02", "王秀芳", (0,), "average"),
    ("doctor03", "张建华", (1,), "diligent"),
    ("doctor04", "何国强", (2,), "behind"),
    ("doctor05", "刘玉兰", (3,), "diligent"),
    ("doctor06", "杨志勇", (3,), "average"),
    ("doctor07", "陈春梅", (4,), "average"),
    ("doctor08", "赵永福", (5,), "diligent"),
    ("doctor09", "李晓燕", (5,), "average"),
    ("doctor10", "黄成刚", (6,), "diligent"),
    ("doctor11", "吴海涛", (7,), "behind"),
    ("doctor12", "徐丽华", (7,), "average"),
    ("doctor13", "孙俊", (8, 11), "behind"),
    ("doctor14", "胡桂英", (9,), "diligent"),
    ("doctor15", "郭文斌", (10,), "average"),
)
STAFF = (
    ("staff01", "何静", "township_staff"),
    ("staff02", "罗红梅", "township_staff"),
    ("admin", "高建国", "township_admin"),
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)

# Given names by birth era and sex: names carry their generation in China.
GIVEN_NAMES = {
    ("old", "male"): "建国 国华 德明 富贵 志强 玉林 长生 德全 树林 春林 永福 光明 世明 学文 "
    "正华 开元 明清 德才 顺 福 贵 忠 华 安 元",
    ("old", "female"): "秀英 桂英 玉兰 桂兰 秀兰 淑珍 素芬 玉珍 凤英 翠花 桂芳 秀珍 兰英 素华 "
    "桂珍 玉英 春兰 菊英 德芳 翠英 淑华 英 芬 兰",
    ("mid", "male"): "建华 建军 勇 伟 军 强 刚 平 斌 涛 波 海 明 林 峰 俊 杰 志刚 海涛 小军 红兵 "
    "文斌 德华 晓东 国庆 卫东 向东 成 云峰",
    ("mid", "female"): "丽 芳 燕 红 霞 敏 静 萍 英 琴 娟 梅 丽娟 晓红 春梅 红梅 小燕 海燕 秀芳 "
    "丽华 建英 小红 玉梅 莉",
    ("young", "male"): "浩 磊 鑫 宇 鹏 超 杰 俊杰 浩然 子豪 宇航 文博 家豪 明轩 志远 晨 帅 凯 "
    "航 鹏飞 天宇 俊 翔",
    ("young", "female"): "婷 雪 倩 丹 琳 悦 佳 婷婷 雪梅 晓雨 欣怡 佳琪 思雨 梦瑶 丹丹 倩倩 "
    "颖 洁 露 月",
    ("child", "male"): "子轩 浩宇 梓豪 宇轩 俊熙 沐阳 睿泽 皓轩 奕辰 梓睿 锦程 子墨 思远 嘉豪 "
    "一鸣 宇航 铭 睿 诚 泽",
    ("child", "female"): "梓涵 子涵 欣怡 一诺 语桐 诗涵 梓萱 雨桐 可馨 若汐 芷若 思琪 梦琪 "
    "依诺 欣妍 悦 彤 萱 瑶",
}

ETHNICITIES = (("汉族", 985), ("土家族", 6), ("羌族", 3), ("回族", 3), ("苗族", 3))
BLOOD_TYPES = (("unknown", 45), ("O", 17), ("A", 16), ("B", 15), ("AB", 7))
PAYMENT_TYPES = (("城乡居民医保", 93), ("职工医保", 5), ("自费", 2))
FUELS = (("液化气", 34), ("柴火", 30), ("电", 22), ("煤", 5), ("沼气", 6), ("天然气", 3))
WATERS = (("自来水", 62), ("井水", 24), ("经净化过滤的水", 6), ("河湖水", 3), ("塘水", 2),
          ("其他", 3))
TOILETS = (("卫生厕所", 56), ("一格或二格粪池式", 20), ("马桶", 8), ("露天粪坑", 11),
           ("简易棚厕", 5))
ANIMAL_PENS = (("单设", 52), ("室外", 26), ("室内", 9), ("无", 13))

HYPERTENSION_DRUGS = (
    ("硝苯地平缓释片", "20mg", "bid"),
    ("苯磺酸氨氯地平片", "5mg", "qd"),
    ("卡托普利片", "25mg", "tid"),
    ("马来酸依那普利片", "10mg", "qd"),
    ("缬沙坦胶囊", "80mg", "qd"),
    ("氢氯噻嗪片", "12.5mg", "qd"),
    ("琥珀酸美托洛尔缓释片", "47.5mg", "qd"),
    ("厄贝沙坦片", "150mg", "qd"),
    ("吲达帕胺片", "2.5mg", "qd"),
)
DIABETES_DRUGS = (
    ("盐酸二甲双胍片", "0.5g", "tid"),
    ("格列美脲片", "2mg", "qd"),
    ("阿卡波糖片", "50mg", "tid"),
    ("格列齐特缓释片", "30mg", "qd"),
    ("瑞格列奈片", "1mg", "tid"),
)
INSULINS = ("门冬胰岛素30注射液 早14U 晚10U", "精蛋白人胰岛素混合注射液(30R) 早16U 晚12U",
            "甘精胰岛素注射液 睡前12U")
ADVERSE_REACTIONS = {"硝苯地平缓释片": "踝部水肿", "苯磺酸氨氯地平片": "踝部水肿",
                     "卡托普利片": "干咳", "马来酸依那普利片": "干咳", "盐酸二甲双胍片": "胃肠不适"}
HYPERTENSION_SYMPTOMS = ("头痛头晕", "恶心呕吐", "眼花耳鸣", "呼吸困难", "心悸胸闷",
                         "四肢发麻", "下肢水肿")
DIABETES_SYMPTOMS = ("多饮", "多食", "多尿", "视力模糊", "手脚麻木", "下肢浮肿", "体重明显下降")

# Health days and seasons the township's annual education plan follows, by month.
MONTH_TOPICS = {
    1: ("冬季呼吸道传染病防治", "流感防治知识"),
    2: ("春节期间合理膳食", "一氧化碳中毒预防"),
    3: ("世界防治结核病日:结核病防治", "春季传染病预防"),
    4: ("全国预防接种宣传日:按时接种疫苗", "爱国卫生月:环境卫生与健康"),
    5: ("全国碘缺乏病防治日", "全民营养周:合理膳食"),
    6: ("夏季防溺水安全教育", "夏季肠道传染病预防"),
    7: ("防暑降温知识", "手足口病防治"),
    8: ("食品安全与食物中毒预防", "狂犬病暴露后处置"),
    9: ("老年人健康管理与体检", "世界心脏日:心血管病预防"),
    10: ("全国高血压日:管住血压", "重阳节老年人健康"),
    11: ("联合国糖尿病日:糖尿病防治", "控烟与健康"),
    12: ("世界艾滋病日:艾滋病防治", "冬季心脑血管病预防"),
}
CONSULTATION_DAYS = ((3, 24, "世界防治结核病日"), (4, 25, "全国预防接种宣传日"),
                     (10, 8, "全国高血压日"), (11, 14, "联合国糖尿病日"))
LECTURE_PLACES = ("村卫生室", "村委会会议室", "村小学", "村文化广场")
MATERIALS = ("宣传折页", "宣传画", "健康教育处方", "控盐勺", "控油壶")

HOUSEHOLD_SERVICES = ("测血压", "测血糖", "健康咨询", "更新健康档案", "用药指导", "预防接种提醒",
                      "发放健康教育资料", "家庭医生签约服务")
VACCINE_MISS_REASONS = ("家长外出务工未按时带来", "患病暂缓接种", "家长忘记", "迁入前漏种")
NOTIFICATION_OUTCOMES = ("家长同意近期补种", "已预约下次接种日", "电话无人接听")

# 国家免疫规划 schedule the brief names: (code, 中文名, dose number, due age in months).
VACCINE_SCHEDULE = (
    ("HepB", "乙肝疫苗", 1, 0), ("HepB", "乙肝疫苗", 2, 1), ("HepB", "乙肝疫苗", 3, 6),
    ("BCG", "卡介苗", 1, 0),
    ("IPV", "脊灰灭活疫苗", 1, 2), ("IPV", "脊灰灭活疫苗", 2, 3),
    ("bOPV", "二价脊灰减毒活疫苗", 1, 4), ("bOPV", "二价脊灰减毒活疫苗", 2, 48),
    ("DTaP", "百白破疫苗", 1, 3), ("DTaP", "百白破疫苗", 2, 4), ("DTaP", "百白破疫苗", 3, 5),
    ("DTaP", "百白破疫苗", 4, 18),
    ("DT", "白破疫苗", 1, 72),
    ("MMR", "麻腮风疫苗", 1, 8), ("MMR", "麻腮风疫苗", 2, 18),
    ("JE", "乙脑减毒活疫苗", 1, 8), ("JE", "乙脑减毒活疫苗", 2, 24),
    ("MenA", "A群流脑多糖疫苗", 1, 6), ("MenA", "A群流脑多糖疫苗", 2, 9),
    ("MenAC", "A群C群流脑多糖疫苗", 1, 36), ("MenAC", "A群C群流脑多糖疫苗", 2, 72),
    ("HepA", "甲肝减毒活疫苗", 1, 18),
)
VACCINE_SITES = {"bOPV": "口服", "BCG": "左上臂", "HepB": "右上臂", "IPV": "大腿前外侧"}
