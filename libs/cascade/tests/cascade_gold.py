"""Hand-checked measure links of the seed plans to the national guidance 人社部发〔2021〕66号.

Each entry is (child measure key, superior measure key); keys are heading paths as the plan
importer reads them. REQUIRED links are what a careful reader says the child measure takes up;
recall is measured against them. ACCEPTABLE links are defensible partial take-ups (one sentence
of the superior measure) that are not counted as errors but not required either.

National measures (N): 一/（一）指导思想 一/（二）主要目标 二/（三）分类型发现 二/（四）分领域培育
二/（五）重点资源库 三/（六）提高技能含量 三/（七）扩大就业规模 三/（八）增强品牌信誉
四/（九）支持创新创业 四/（十）培育龙头企业 四/（十一）发展产业园区 五/（十二）加强组织领导
五/（十三）强化工作保障 五/（十四）开展选树推介 五/（十五）举办系列活动 五/（十六）营造良好氛围
"""

from __future__ import annotations

NATIONAL = "人社部发〔2021〕66号"
INNER_MONGOLIA = "内人社发〔2022〕3号"
GUANGDONG = "关于加强劳务品牌建设的行动方案"

INNER_MONGOLIA_REQUIRED = {
    # 指导思想: the national text nearly word for word, with 自治区 put in.
    ("一/（一）", "一/（一）"),
    # 目标任务: the national 主要目标 sentence plus the region's numeric targets.
    ("一/（二）", "一/（二）"),
    # Same title; 摸底调查, 数量分布特征, 确定品牌名称, 逐步引导形成 follow the national text.
    ("二/（一）/1.", "二/（三）"),
    # Same title; 中高端技能型 / 高品质服务型 / 文化和旅游类 / 民生保障型 lists repeated.
    ("二/（一）/2.", "二/（四）"),
    # Same title; 重点项目, 目录, 动态管理.
    ("二/（一）/3.", "二/（五）"),
    # Same title; 技能培训, 等级认定, 专项职业能力, 大师工作室, 高技能人才培养基地, 一老一小.
    ("二/（二）/4.", "三/（六）"),
    # Same title; 用工信息对接, 定向输出, 劳务工作站, 脱贫人口优先输出, 社会保险补贴.
    ("二/（二）/5.", "三/（七）"),
    # Same title; 名称标识, 商标专利, 诚信评价, 信用承诺制度, 诚信经营自律承诺.
    ("二/（二）/6.", "三/（八）"),
    # Same title; 创业补贴, 商标权专利权质押贷款, 保险, 创业孵化场地.
    ("二/（三）/7.", "四/（九）"),
    # Same title; 专精特新, 上市融资, 劳务品牌联盟, 科技成果转化.
    ("二/（三）/8.", "四/（十）"),
    # Same title; 产业链, 特色产业园区, 用地能耗指标, 投融资, 经济技术开发区.
    ("二/（三）/9.", "四/（十一）"),
    # Same title; 工作协调机制 sentence copied; 细化实施方案 = 细化工作方案.
    ("三/11.", "五/（十二）"),
    # Same title; 市场化方式撬动金融资本, 就业工作重点任务, 专家库, 理论研究.
    ("三/12.", "五/（十三）"),
    # Same title; 征集评选, 竞赛, 创立人传承人领军人, 人才奖项.
    ("三/13.", "五/（十四）"),
    # Merged: its last two sentences are the national 举办系列活动 (展示交流活动, 一带一路
    # 文化交流活动, 走出去); no other Inner Mongolia measure takes them up.
    ("三/13.", "五/（十五）"),
    # 强化品牌宣介: 网络报纸杂志广播电视, 品牌项目人物活动, 影视作品, 讲好故事, 浓厚氛围.
    ("三/14.", "五/（十六）"),
}
INNER_MONGOLIA_ACCEPTABLE = {
    # Its last sentence is the national 资源库 one (动员培训机构……提供支撑).
    ("二/（一）/2.", "二/（五）"),
    # 实施劳务品牌培树行动 is a local timetable (a local addition), touching 摸底调查 (N三),
    # 资源库 (N五) and the 一县一品牌 goal (N主要目标).
    ("二/（三）/10.", "二/（三）"),
    ("二/（三）/10.", "二/（五）"),
    ("二/（三）/10.", "一/（二）"),
    # 充分宣传展示劳务品牌 echoes 举办系列活动's 充分利用各类平台宣传展示.
    ("三/14.", "五/（十五）"),
}

GUANGDONG_REQUIRED = {
    # 目标任务: 十四五, 发现培育、发展提升和壮大升级, 带动就业创业、助力产业发展 = 主要目标.
    ("一", "一/（二）"),
    # Merged: 专项调查……数量、分布、特征 (分类型发现) and 分类培育高端技能型、高品质服务型、
    # 文化旅游类、民生保障型 (分领域培育).
    ("二/（一）", "二/（三）"),
    ("二/（一）", "二/（四）"),
    # 一品一策: 重点项目, 指导目录, 动态管理, 发动各类培训机构……提供支撑 = 重点劳务品牌资源库.
    ("二/（二）", "二/（五）"),
    # Renamed 提高技能含量: 职业技能培训, 等级认定, 专项职业能力考核, 技能带头人, 一老一小.
    ("二/（三）", "三/（六）"),
    # Renamed 扩大就业规模: 就业推荐, 定向输出, 劳务工作站, 脱贫人口优先输出, 交通补助.
    ("二/（四）", "三/（七）"),
    # Renamed 支持创新创业: 创业培训补贴, 创业担保贷款, 创业孵化场地.
    ("二/（五）", "四/（九）"),
    # Renamed 培育龙头企业: 龙头企业, 专精特新, 上市挂牌, 联盟, 成果转化.
    ("二/（六）", "四/（十）"),
    # Renamed 发展产业园区: 产业链协同, 特色产业园区, 土地利用计划, 经济技术开发区.
    ("二/（七）", "四/（十一）"),
    # Renamed 增强品牌信誉: 商标专利, 质量标准体系, 信用承诺制度, 良好声誉和形象.
    ("二/（八）", "三/（八）"),
    # Merged three: 征集评选、竞赛、典型人物 (选树推介); 展示交流活动、专业论坛、文化体验活动、
    # 非遗工坊、一带一路 (系列活动); 广播电视……作品, 讲好故事 (营造良好氛围).
    ("二/（九）", "五/（十四）"),
    ("二/（九）", "五/（十五）"),
    ("二/（九）", "五/（十六）"),
    # Split: 加强组织领导 takes the coordination half of the national measure ...
    ("三/（一）", "五/（十二）"),
    # ... 压实工作责任 its 结合本地实际，细化工作方案，明确目标 half.
    ("三/（二）", "五/（十二）"),
    # 强化工作保障: 政策引导, 市场化方式撬动金融资本, 就业工作重点任务.
    ("三/（三）", "五/（十三）"),
    # 营造良好氛围: 宣传, 典型, 良好氛围.
    ("三/（四）", "五/（十六）"),
}
GUANGDONG_ACCEPTABLE = {
    # 坚持市场化运作、规范化培育、技能化开发…… is the national 指导思想's list.
    ("一", "一/（一）"),
    # 建立健全本地区劳务品牌资源库; 组建劳务品牌建设专家库 (强化工作保障).
    ("二/（一）", "二/（五）"),
    ("二/（一）", "五/（十三）"),
    # 一品一策，明确发展规划、建设思路和工作重点 is 分类型发现's planning sentence.
    ("二/（二）", "二/（三）"),
    # Its last sentence: 有组织劳务输出服务……就业创业服务补助 (扩大就业规模).
    ("二/（五）", "三/（七）"),
}
