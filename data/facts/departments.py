"""City departments (市直单位) of a county city, paired (结对) with its towns.

Thirty-six units, each paired with exactly one of the twelve Jiaozhou towns
(three per town), with the skills their cadres typically bring when they go
down to a town. The rural, flood-prone 胶西 is paired with agriculture,
commerce and water affairs: the units that helped harvest and sell the potato
crop after the June flood.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentFact:
    """One city department.

    Attributes
    ----------
    name, name_en : str
        Full Chinese name as used in the county (``市…局``) and English name.
    skills : tuple[str, ...]
        Skill codes of ``domain.categories.SKILLS`` its cadres typically have.
    staff : int
        Relative number of cadres it sends to grid work (weights).
    paired_town : str
        NBS code of the town it is paired with in Jiaozhou.
    """

    name: str
    name_en: str
    skills: tuple[str, ...]
    staff: int
    paired_town: str


_FU_AN, _ZHONGYUN, _SANLIHE = "370281001", "370281002", "370281004"
_JIULONG, _JIAODONG, _JIAOBEI = "370281006", "370281007", "370281008"
_JIAOXI, _JIAOLAI, _LIGEZHUANG = "370281009", "370281010", "370281102"
_PUJI, _LICHA, _YANGHE = "370281105", "370281108", "370281111"

DEPARTMENTS: tuple[DepartmentFact, ...] = (
    DepartmentFact(
        "市发展和改革局", "Development and Reform Bureau", ("social_work", "mediation"), 25, _FU_AN
    ),
    DepartmentFact(
        "市综合行政执法局",
        "Comprehensive Administrative Law Enforcement Bureau",
        ("enforcement", "traffic", "sanitation"),
        60,
        _ZHONGYUN,
    ),
    DepartmentFact(
        "市应急管理局",
        "Emergency Management Bureau",
        ("flood_control", "fire_safety", "medical"),
        40,
        _JIULONG,
    ),
    DepartmentFact(
        "市农业农村局",
        "Agriculture and Rural Affairs Bureau",
        ("agriculture", "flood_control"),
        50,
        _JIAOXI,
    ),
    DepartmentFact(
        "市住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        ("construction", "fire_safety"),
        45,
        _SANLIHE,
    ),
    DepartmentFact(
        "市水务局", "Water Affairs Bureau", ("drainage", "plumbing", "flood_control"), 40, _JIAOXI
    ),
    DepartmentFact("市交通运输局", "Transport Bureau", ("traffic", "construction"), 40, _JIAODONG),
    DepartmentFact(
        "市卫生健康局", "Health Commission", ("medical", "social_work"), 45, _LIGEZHUANG
    ),
    DepartmentFact("市民政局", "Civil Affairs Bureau", ("social_work", "mediation"), 30, _YANGHE),
    DepartmentFact(
        "市公安局", "Public Security Bureau", ("traffic", "mediation", "enforcement"), 70, _FU_AN
    ),
    DepartmentFact(
        "市自然资源局", "Natural Resources Bureau", ("enforcement", "agriculture"), 30, _JIAOLAI
    ),
    DepartmentFact(
        "青岛市生态环境局胶州分局",
        "Qingdao Ecology and Environment Bureau, Jiaozhou Branch",
        ("environment",),
        30,
        _JIAOBEI,
    ),
    DepartmentFact(
        "市市场监督管理局",
        "Market Supervision Administration",
        ("enforcement", "fire_safety"),
        40,
        _ZHONGYUN,
    ),
    DepartmentFact(
        "市城市管理局",
        "Urban Management Bureau",
        ("sanitation", "drainage", "electrical", "construction"),
        55,
        _SANLIHE,
    ),
    DepartmentFact(
        "市教育和体育局",
        "Education and Sports Bureau",
        ("social_work", "fire_safety"),
        35,
        _JIAOBEI,
    ),
    DepartmentFact(
        "市人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
        ("mediation", "social_work"),
        25,
        _PUJI,
    ),
    DepartmentFact("市财政局", "Finance Bureau", ("social_work",), 20, _LICHA),
    DepartmentFact("市司法局", "Justice Bureau", ("mediation",), 30, _JIULONG),
    DepartmentFact("市商务局", "Commerce Bureau", ("agriculture", "social_work"), 20, _JIAOXI),
    DepartmentFact(
        "市文化和旅游局", "Culture and Tourism Bureau", ("fire_safety", "social_work"), 25, _JIULONG
    ),
    DepartmentFact(
        "市退役军人事务局",
        "Veterans Affairs Bureau",
        ("social_work", "flood_control"),
        20,
        _JIAOLAI,
    ),
    DepartmentFact("市审计局", "Audit Bureau", ("mediation",), 15, _LICHA),
    DepartmentFact("市统计局", "Statistics Bureau", ("social_work",), 15, _YANGHE),
    DepartmentFact(
        "市医疗保障局", "Healthcare Security Administration", ("medical", "social_work"), 20, _PUJI
    ),
    DepartmentFact("市信访局", "Letters and Visits Bureau", ("mediation",), 20, _SANLIHE),
    DepartmentFact(
        "市行政审批服务局",
        "Administrative Approval Service Bureau",
        ("construction", "social_work"),
        20,
        _ZHONGYUN,
    ),
    DepartmentFact("市大数据发展局", "Big Data Development Bureau", ("electrical",), 15, _JIAODONG),
    DepartmentFact(
        "国网胶州市供电公司",
        "State Grid Jiaozhou Power Supply Company",
        ("electrical", "fire_safety"),
        45,
        _LIGEZHUANG,
    ),
    DepartmentFact(
        "市消防救援大队",
        "Fire and Rescue Brigade",
        ("fire_safety", "medical", "flood_control"),
        35,
        _FU_AN,
    ),
    DepartmentFact("市水务集团", "Water Supply Group", ("plumbing", "drainage"), 35, _JIAOBEI),
    DepartmentFact("市热力公司", "Heating Company", ("plumbing",), 25, _JIAODONG),
    DepartmentFact(
        "市工业和信息化局",
        "Industry and Information Technology Bureau",
        ("fire_safety", "electrical"),
        25,
        _LIGEZHUANG,
    ),
    DepartmentFact(
        "市科学技术局", "Science and Technology Bureau", ("agriculture", "electrical"), 15, _LICHA
    ),
    DepartmentFact("市气象局", "Meteorological Bureau", ("flood_control",), 15, _JIAOLAI),
    DepartmentFact(
        "市总工会", "Federation of Trade Unions", ("mediation", "social_work"), 20, _YANGHE
    ),
    DepartmentFact("市妇女联合会", "Women's Federation", ("mediation", "social_work"), 20, _PUJI),
)
