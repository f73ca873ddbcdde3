/* consent_notice.c: the privacy notice's text, beside its version (see consent.h).
 *
 * Why here and not on the page: the version a student accepts must name the text they were
 * shown. With the text in the page and the version in C, a change to one without the other was
 * caught only by a 409 at acceptance; now both are declared once, here, and the page renders
 * what GET /api/student/privacy sends and accepts the version that came with it. */
#include "identity/consent.h"

/* What is collected, why, how long, who sees it, how to have it deleted. A change to any of it
 * is a new notice: change CONSENT_VERSION (consent.h) with it, and every student accepts again. */
static const char *const SECTIONS[][2] = {
    {"收集哪些信息",
     "手机号（登录和接收通知）；采集码中的学籍信息（姓名、学号、身份证号、学校、学院、专业、学历层次、毕业年份），你填写的身份证号后 4 "
     "位只用于核对；你拍摄或上传的照片，以及由它生成的标准照；选择邮寄纸质照片时的收件地址；支付订单信息。"},
    {"为什么收集",
     "只用于完成毕业生图像采集：核对你的学籍，检查照片是否符合规格，供学校审核，并按规定报送学信网（中国高等教育学生信息网）和"
     "制作证书。不会用于其他目的，也不会出售或提供给第三方用于营销。"},
    {"保存多久",
     "照片和学籍信息加密保存。采集结束并报送后，原始照片按学校规定的期限删除；未完成采集的照片可以随时申请删除。"},
    {"谁能看到",
     "你本人；你所在学校的审核老师和研究生培养科（只能看到本校学生）；平台运营人员在处理问题时。每一次工作人员查看照片都会留下"
     "记录。"},
    {"如何删除",
     "在“我的”页面点“申请删除”，运营方会删除你已上传的照片（审核通过并报送后，按学校规定处理）。有疑问可以给客服留言。"},
};

json_t *consent_notice_sections(void) {
  json_t *list = json_array();
  for (size_t i = 0; i < sizeof SECTIONS / sizeof *SECTIONS; i++)
    json_array_append_new(list, json_pack("{s:s, s:s}", "title", SECTIONS[i][0], "text", SECTIONS[i][1]));
  return list;
}
